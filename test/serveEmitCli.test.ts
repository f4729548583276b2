// `ultrasim serve plan --emit` end to end, through the built CLI: the files land in --emit-dir and
// carry the best plan's values; a GPU engine for a Neuron plan, neuron for a GPU plan, an unknown
// engine and --emit without `plan` each exit 2 with one line naming the flag.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { builtinCatalog } from "../src/engine/catalog/builtin.js";

const cli = fileURLToPath(new URL("../dist/src/cli/main.js", import.meta.url));
const SCENARIO = [
  "schemaVersion: 1",
  "model: llama3.1-8b",
  "deployment:",
  "  system: dgx-h100",
  "  precision: bf16",
  "  tp: 1",
  "  replicas: 1",
  "  batching:",
  "    policy: continuous",
  "    maxBatch: 64",
  "traffic:",
  "  requests: 100",
  "  arrival: { kind: poisson, ratePerSecond: 4 }",
  "  inputTokens: { distribution: uniform, min: 200, max: 1500 }",
  "  outputTokens: 300",
  "slo:",
  "  ttftSeconds: 2",
  "  tpotSeconds: 0.1",
].join("\n");

describe("ultrasim serve plan --emit (CLI)", () => {
  let dir: string;
  let scenario: string;
  beforeAll(() => {
    if (!existsSync(cli)) throw new Error("run npm run build first");
    dir = mkdtempSync(join(tmpdir(), "ultrasim-emit-"));
    scenario = join(dir, "s.yaml");
    writeFileSync(scenario, SCENARIO + "\n");
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const run = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { cwd: dir, encoding: "utf8", timeout: 120_000 });
  const plan = (...args: string[]) => run("serve", "plan", scenario, "--max-chips", "4", ...args);

  it("neuron --emit-dir --json: writes neuron_config.json with tp in NeuronCores and the best plan's batch", { timeout: 120_000 }, () => {
    const out = join(dir, "neuron-launch");
    const r = plan("--systems", "trn2.48xlarge", "--emit", "neuron", "--emit-dir", out, "--json");
    expect(r.status, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout);
    const best = result.best.pool;
    const cores = best.tp * builtinCatalog().chip("trainium2").logicalCoresPerChip!.value;
    const config = JSON.parse(readFileSync(join(out, "neuron_config.json"), "utf8"));
    expect(config.tp_degree).toBe(cores);
    expect(config.batch_size).toBe(best.batching.maxBatch);
    // 1500-token prompts plus 300-token answers: 1800, bucketed up to 2048.
    expect(config.seq_len).toBe(2048);
    expect(config.token_generation_buckets).toEqual([128, 256, 512, 1024, 2048]);
    expect(result.emitted.engine).toBe("neuron");
    expect(result.emitted.written).toEqual([join(out, "neuron_config.json")]);
    expect(result.emitted.command).toContain(`--tensor-parallel-size ${cores} `);
  });

  it("trtllm --emit-dir: writes the YAML, prints where and the command to run from there", { timeout: 120_000 }, () => {
    const out = join(dir, "trt");
    const r = plan("--emit", "trtllm", "--emit-dir", out);
    expect(r.status, r.stderr).toBe(0);
    const yaml = readFileSync(join(out, "extra-llm-api-config.yml"), "utf8");
    expect(yaml).toContain("capacity_scheduler_policy: MAX_UTILIZATION");
    expect(r.stdout).toContain(`cd ${out}\ntrtllm-serve meta-llama/Llama-3.1-8B `);
    expect(r.stdout).toContain("--max_seq_len 1800 ");
  });

  it("vllm without --emit-dir prints the command; the JSON's best plan is the one it carries", { timeout: 120_000 }, () => {
    const r = plan("--emit", "vllm", "--json");
    expect(r.status, r.stderr).toBe(0);
    const { best, emitted } = JSON.parse(r.stdout);
    expect(emitted.command).toContain(`--tensor-parallel-size ${best.pool.tp} `);
    expect(emitted.command).toContain(`--max-num-seqs ${best.pool.batching.maxBatch} `);
    expect(emitted.files).toEqual([]);
  });

  const refused = (r: ReturnType<typeof run>, ...parts: string[]) => {
    expect(r.status).toBe(2);
    expect(
      r.stderr
        .trim()
        .split("\n")
        .filter((l) => !l.startsWith("planning:")),
    ).toHaveLength(1);
    for (const p of parts) expect(r.stderr).toContain(p);
  };

  it("neuron for a GPU plan exits 2 before planning, naming the GPU engines", () => {
    refused(plan("--emit", "neuron"), "--emit: neuron is", "dgx-h100", "use vllm | trtllm | sglang");
  });

  it("a GPU engine for a Neuron plan exits 2, naming neuron", () => {
    refused(plan("--systems", "trn2.48xlarge", "--emit", "sglang"), "--emit: sglang is", "trn2.48xlarge", "use neuron");
  });

  it("an unknown engine, or --emit without plan, exits 2", () => {
    refused(plan("--emit", "tgi"), "--emit: must be one of vllm | trtllm | sglang | neuron, got 'tgi'");
    refused(run("serve", scenario, "--emit", "vllm"), "--emit:", "ultrasim serve plan");
    refused(plan("--emit-dir", join(dir, "x")), "--emit-dir: goes with --emit");
  });
});
