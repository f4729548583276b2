// What the machine itself gives when every core works at once: the ceiling any sweep on it can reach.
// Each probe runs in `n` child processes at once (as the sweep's workers do) and reports the mean
// speed of one against the speed of one process alone. Two probes:
//  - arithmetic: independent multiply-adds over an array that stays in the core's L1 cache. It is
//    bound by the core's execution units, not by memory, so where two logical CPUs share one physical
//    core (SMT, hyper-threading) each gets well under its speed alone;
//  - memory: a sum over an array far larger than the caches, bound by the memory system.
// A logical CPU is what availableParallelism() counts, and what the sweep's bar counts as a core.
//
//   node dist/bench/machineCeiling.js <arithmetic|memory>   (one probe process: prints its seconds)
import { fork } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

export const PROBES = ["arithmetic", "memory"] as const;
export type Probe = (typeof PROBES)[number];

function arithmetic(): number {
  const a = new Float64Array(2048).map((_, i) => 1 + i / 4096);
  // Eight independent accumulators: each step's multiply-adds do not wait on each other.
  let s0 = 0,
    s1 = 0,
    s2 = 0,
    s3 = 0,
    s4 = 0,
    s5 = 0,
    s6 = 0,
    s7 = 0;
  for (let round = 0; round < 800_000; round++)
    for (let i = 0; i < a.length; i += 8) {
      s0 = s0 * 0.999 + a[i]!;
      s1 = s1 * 0.999 + a[i + 1]!;
      s2 = s2 * 0.999 + a[i + 2]!;
      s3 = s3 * 0.999 + a[i + 3]!;
      s4 = s4 * 0.999 + a[i + 4]!;
      s5 = s5 * 0.999 + a[i + 5]!;
      s6 = s6 * 0.999 + a[i + 6]!;
      s7 = s7 * 0.999 + a[i + 7]!;
    }
  return s0 + s1 + s2 + s3 + s4 + s5 + s6 + s7;
}

function memory(): number {
  const a = new Float64Array(32 * 1024 * 1024).fill(1); // 256 MB: far past any cache
  let s = 0;
  for (let round = 0; round < 48; round++) for (let i = 0; i < a.length; i += 8) s += a[i]!; // one load per 64-byte line
  return s;
}

/** Seconds of each of `n` probe processes run at once. */
export async function runProbe(probe: Probe, n: number): Promise<number[]> {
  const file = fileURLToPath(import.meta.url);
  return Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<number>((resolve, reject) => {
          const child = fork(file, [probe], { stdio: ["ignore", "pipe", "inherit", "ipc"], execArgv: [] });
          let out = "";
          child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
          child.on("error", reject);
          child.on("exit", (code) => (code === 0 ? resolve(Number(out)) : reject(new Error(`${probe} probe exited with ${code}`))));
        }),
    ),
  );
}

/** Each of n processes' mean speed, as a fraction of one process's alone. */
export async function probeScaling(probe: Probe, n: number): Promise<number> {
  const [alone] = await runProbe(probe, 1);
  const together = await runProbe(probe, n);
  const mean = together.reduce((a, b) => a + b, 0) / together.length;
  return alone! / mean;
}

/** Logical CPUs per physical core, from Linux's topology files; null where they cannot be read. */
export function threadsPerCore(): number | null {
  try {
    const siblings = readFileSync("/sys/devices/system/cpu/cpu0/topology/thread_siblings_list", "utf8").trim();
    // "0-1", "0,8" or "0": count the CPUs the list names.
    return siblings.split(",").reduce((n, part) => {
      const [lo, hi] = part.split("-").map(Number);
      return n + (hi === undefined ? 1 : hi - lo! + 1);
    }, 0);
  } catch {
    return null;
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv[2]) {
  const probe = process.argv[2] as Probe;
  if (!PROBES.includes(probe)) throw new Error(`unknown probe ${probe}`);
  const start = performance.now();
  const sink = probe === "arithmetic" ? arithmetic() : memory();
  const seconds = (performance.now() - start) / 1000;
  if (Number.isNaN(sink)) throw new Error("unreachable");
  process.stdout.write(String(seconds));
}
