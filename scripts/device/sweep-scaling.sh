#!/usr/bin/env bash
# Issue #8 on a many-core host: how the sweep scales with every core, read against the machine's own
# ceiling. Prints the CPU topology (is each core shared by two hyper-threads?), then the sweep bench
# (dist/bench/sweep.js: one worker against every core, child processes and threads, then the
# arithmetic and memory probes). About 3 minutes on 16 cores.
#
# The lent GPU machine has no Node.js. Carry one with the built tree, in a folder git ignores, e.g.
#   mkdir -p .devcarry && xz -T0 -c "$(command -v node)" > .devcarry/node.xz
# and `run` with carry [".devcarry", "dist", "node_modules/yaml", "node_modules/@sinclair",
# "node_modules/hyparquet", "node_modules/hyparquet-writer"] (the sweep bench needs no other package).
# .devcarry is ignored by git and eslint.
#
#   bash scripts/device/sweep-scaling.sh        (writes to $OUT when set, else ./out)
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${OUT:-out}
mkdir -p "$out"
if ! command -v node >/dev/null 2>&1; then
  mkdir -p /tmp/nodebin
  xz -dc .devcarry/node.xz > /tmp/nodebin/node
  chmod +x /tmp/nodebin/node
  export PATH=/tmp/nodebin:$PATH
fi
{ lscpu; echo; nproc; } | tee "$out/cpu.txt"
node --version
node --single-threaded-gc dist/bench/sweep.js | tee "$out/sweep-bench.txt"
