// The serving simulation against hand derivations, queueing theory and its own promises: decode at
// batch 1 streams the weights; Little's law; same seed, same output; bad traces name their line.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { builtinCatalog } from "../src/engine/catalog/builtin.js";
import { EventQueue } from "../src/engine/des/eventQueue.js";
import { weightBytesPerChip } from "../src/engine/serve/kvCache.js";
import type { ServingScenario } from "../src/engine/serve/scenario.js";
import { planServing } from "../src/engine/serve/plan.js";
import { predictServing, scenarioRequests } from "../src/engine/serve/serve.js";
import { servingEngine } from "../src/engine/serve/engines.js";
import { servingEfficiency } from "../src/engine/serve/servingEfficiency.js";
import { readRequestTrace } from "../src/node/requestTrace.js";
import { UltrasimError } from "../src/engine/errors.js";

const catalog = builtinCatalog();
const base = (over: Partial<ServingScenario> = {}): ServingScenario => ({
  schemaVersion: 1,
  model: "llama3.1-8b",
  deployment: { system: "dgx-h100", precision: "bf16", tp: 1, replicas: 1, batching: { policy: "continuous", maxBatch: 64 } },
  traffic: { requests: 200, arrival: { kind: "poisson", ratePerSecond: 4 }, inputTokens: 256, outputTokens: 128 },
  seed: 7,
  ...over,
});

describe("event queue", () => {
  it("orders by time, then by scheduling order", () => {
    const q = new EventQueue<string>();
    q.schedule(2, "c");
    q.schedule(1, "a");
    q.schedule(2, "d");
    q.schedule(1, "b");
    const out: string[] = [];
    for (let e = q.pop(); e; e = q.pop()) out.push(e.event);
    expect(out).toEqual(["a", "b", "c", "d"]);
  });
});

describe("decode at batch 1", () => {
  // Hand derivation: Llama 3.1 8B in bf16 is 16.06 GB of weights; a decode step reads all of them
  // but the input embedding table (one row gathered: 128256 x 4096 x 2 B = 1.05 GB), so 15.01 GB at
  // 3.35 TB/s times the memory efficiency, plus the chip's fixed cost per layer for its 32 layers.
  // The engine's host time per step adds to that, unless the engine schedules the next step while
  // this one runs (vLLM's async scheduling): then the step takes the longer of the two.
  const hw = catalog.hardware("dgx-h100");
  const serving = servingEfficiency(catalog, "h100-sxm").efficiency;
  const weights = weightBytesPerChip(catalog.model("llama3.1-8b"), "bf16", 1, 1);
  const device = (weights - 128256 * 4096 * 2) / (hw.hbmBytesPerSecond * serving.memory) + 32 * serving.layerOverheadUs * 1e-6;
  const host = servingEngine("vllm", "engine").iterationOverheadUs.value * 1e-6;
  const tpot = (hostOverlap: boolean) => {
    const s = base({ traffic: { requests: 1, inputTokens: 16, outputTokens: 256 } });
    s.deployment = { ...s.deployment, hostOverlap } as ServingScenario["deployment"];
    return predictServing(s, catalog).report.latency.tpotSeconds!.mean;
  };

  it("takes about the weight bytes over HBM bandwidth per token, the host's time hidden behind it", () => {
    expect(weights / 1e9).toBeCloseTo(16.06, 1);
    expect(servingEngine("vllm", "engine").hostOverlap.value).toBe(true);
    expect(host).toBeLessThan(device); // so the device's time is the step's
    expect(tpot(true)).toBeGreaterThan(device * 0.98);
    expect(tpot(true)).toBeLessThan(device * 1.25);
  });

  it("adds the host's time to every step where the engine does not overlap it", () => {
    // The attention over a growing context is the same in both runs: the difference is the host's
    // time, once per step.
    expect(tpot(false) - tpot(true)).toBeCloseTo(host, 5);
  });

  it("takes the host's time where that is the longer, overlapped or not", () => {
    const slowHost = 0.02; // 20 ms of host work per step, three times the device's
    const s = base({ traffic: { requests: 1, inputTokens: 16, outputTokens: 256 } });
    for (const hostOverlap of [true, false]) {
      s.deployment = { ...s.deployment, hostOverlap, iterationOverheadUs: slowHost * 1e6 } as ServingScenario["deployment"];
      const t = predictServing(s, catalog).report.latency.tpotSeconds!.mean;
      expect(t).toBeCloseTo(hostOverlap ? slowHost : slowHost + device, 3);
    }
  });
});

describe("Little's law", () => {
  it("requests in the system = arrival rate x mean latency", () => {
    const rate = 6;
    const s = base({ traffic: { requests: 3000, arrival: { kind: "poisson", ratePerSecond: rate }, inputTokens: 256, outputTokens: 64 } });
    const { report } = predictServing(s, catalog, { seriesPoints: 400 });
    const L = report.occupancy.meanRequestsInSystem;
    const W = report.latency.e2eSeconds!.mean;
    expect(report.requests.completed).toBe(3000);
    expect(Math.abs(L - rate * W) / (rate * W)).toBeLessThan(0.1);
  });
});

describe("the report's traffic", () => {
  it("is the arrival process and the requests simulated, with their mean lengths", () => {
    const s = base({
      traffic: {
        requests: 400,
        arrival: { kind: "poisson", ratePerSecond: 5 },
        inputTokens: { distribution: "uniform", min: 100, max: 300 },
        outputTokens: 64,
      },
    });
    const { report } = predictServing(s, catalog);
    const requests = scenarioRequests(s);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(report.traffic).toEqual({
      arrival: { kind: "poisson", ratePerSecond: 5 },
      requests: 400,
      meanInputTokens: mean(requests.map((r) => r.inputTokens)),
      meanOutputTokens: 64,
      // Single requests sharing no prefix.
      sharedPrefix: null,
      conversations: null,
    });
    // Uniform from 100 to 300: about 200 on average.
    expect(report.traffic.meanInputTokens).toBeGreaterThan(190);
    expect(report.traffic.meanInputTokens).toBeLessThan(210);
    // No arrival given: offline, every request queued at once; requests replayed: a trace.
    const offline = base({ traffic: { requests: 10, inputTokens: 128, outputTokens: 16 } });
    expect(predictServing(offline, catalog).report.traffic.arrival).toEqual({ kind: "offline" });
    const traced = predictServing(offline, catalog, { requests: [{ arrivalSeconds: 0, inputTokens: 32, outputTokens: 8 }] }).report;
    expect(traced.traffic).toEqual({
      arrival: { kind: "trace" },
      requests: 1,
      meanInputTokens: 32,
      meanOutputTokens: 8,
      sharedPrefix: null,
      conversations: null,
    });
  });
});

describe("determinism", () => {
  it("the same seed gives identical output; another seed does not", () => {
    const a = JSON.stringify(predictServing(base(), catalog).report);
    const b = JSON.stringify(predictServing(base(), catalog).report);
    const c = JSON.stringify(predictServing(base({ seed: 8 }), catalog).report);
    expect(a).toBe(b);
    expect(c).not.toBe(a);
  });
});

describe("batching and the KV cache", () => {
  it("preempts on a full cache and still serves everyone", () => {
    const s = base({
      deployment: {
        system: "dgx-h100",
        precision: "bf16",
        tp: 1,
        replicas: 1,
        memoryUtilization: 0.3,
        batching: { policy: "continuous", maxBatch: 256 },
      },
      traffic: { requests: 300, inputTokens: 2000, outputTokens: 1000 },
    });
    const { report } = predictServing(s, catalog);
    expect(report.requests.completed).toBe(300);
    expect(report.requests.preemptions).toBeGreaterThan(0);
  });
  it("reports a context longer than the model allows per request, not a crash", () => {
    const model = { ...catalog.model("llama3.1-8b"), id: "short", maxContext: 1000 };
    const s = base({ model, traffic: { requests: 50, inputTokens: { distribution: "uniform", min: 100, max: 1500 }, outputTokens: 100 } });
    const { report } = predictServing(s, catalog);
    expect(report.requests.rejected).toBeGreaterThan(0);
    expect(report.requests.completed + report.requests.rejected).toBe(50);
    expect(report.rejectedRequests[0]!.reason).toContain("exceeds");
  });
  it("static batches wait for their longest request", () => {
    // Four requests queued at t = 0, batches of two: the first batch holds outputs of 10 and 100 tokens.
    // Its first iteration prefills both (and samples token 1 of each), then 9 decode iterations at batch
    // 2 finish the short request and 90 more at batch 1 finish the long one. Only then (iteration 100)
    // does the second batch start, though a slot fell free after iteration 9.
    const input = 128;
    const requests = [10, 100, 10, 10].map((outputTokens) => ({ arrivalSeconds: 0, inputTokens: input, outputTokens }));
    const deployment = { system: "dgx-h100", precision: "bf16" as const, tp: 1, replicas: 1 };
    const s = base({ deployment: { ...deployment, batching: { policy: "static", maxBatch: 2 } } });
    const { report, records: it } = predictServing(s, catalog, { requests, recordIterations: true });
    expect(it.map((r) => [r.prefillTokens, r.decodeTokens])).toEqual([
      [2 * input, 0],
      ...Array.from({ length: 9 }, () => [0, 2]),
      ...Array.from({ length: 90 }, () => [0, 1]),
      [2 * input, 0],
      ...Array.from({ length: 9 }, () => [0, 2]),
    ]);
    // Iterations run back to back, so each request's times are sums of iteration times.
    const until = (n: number) => it.slice(0, n).reduce((t, r) => t + r.seconds, 0);
    expect(it[100]!.startSeconds).toBeCloseTo(until(100), 12);
    const ttft = [until(1), until(1), until(101), until(101)];
    const e2e = [until(10), until(100), until(110), until(110)];
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(report.latency.ttftSeconds!.mean).toBeCloseTo(mean(ttft), 12);
    expect(report.latency.e2eSeconds!.mean).toBeCloseTo(mean(e2e), 12);
    expect(report.durationSeconds).toBeCloseTo(until(110), 12);

    // Continuous batching fills the slot at once: the third request is prefilled in iteration 10.
    const c = predictServing(base({ deployment: { ...deployment, batching: { policy: "continuous", maxBatch: 2 } } }), catalog, {
      requests,
      recordIterations: true,
    });
    expect(c.records[10]!.prefillTokens).toBe(input);
    expect(c.report.latency.ttftSeconds!.mean).toBeLessThan(report.latency.ttftSeconds!.mean);
  });
  it("disaggregated serving costs the KV transfer: bytes of KV for the prompt over the link", () => {
    // One request, 256 prompt tokens, 2 output tokens. Colocated, the second token is decoded right after
    // the prefill; disaggregated, the prompt's KV cache first crosses to the decode pool. With identical
    // pools the iterations are the same, so the end-to-end latencies differ by the transfer alone.
    const pool = {
      system: "dgx-h100",
      precision: "bf16" as const,
      kvCachePrecision: "bf16" as const,
      tp: 1,
      replicas: 1,
      batching: { policy: "continuous" as const, maxBatch: 8 },
    };
    const requests = [{ arrivalSeconds: 0, inputTokens: 256, outputTokens: 2 }];
    const e2e = (over: Partial<ServingScenario>) => {
      const { report } = predictServing(base(over), catalog, { requests });
      expect(report.requests.completed).toBe(1);
      return { e2e: report.latency.e2eSeconds!.mean, ttft: report.latency.ttftSeconds!.mean };
    };
    const colocated = e2e({ deployment: pool });
    const overScaleOut = e2e({ deployment: undefined, disaggregated: { prefill: pool, decode: pool } });
    const overScaleUp = e2e({ deployment: undefined, disaggregated: { prefill: pool, decode: pool, kvLink: "scale-up" } });

    // Llama 3.1 8B: 32 layers, 8 KV heads of 128 dims, K and V, 2 bytes each in bf16.
    const kvBytes = 256 * (2 * 32 * 8 * 128 * 2);
    // DGX H100 links (data/systems.json), at the achieved fraction the H100's serving fit was made
    // against (its recorded training basis, data/serving-efficiency.json).
    const system = catalog.system("dgx-h100");
    const efficiency = servingEfficiency(catalog, system.chip).kernelBasis!.efficiency;
    const ib = system.scaleOut;
    const nvlink = system.scaleUp[0]!;
    const overIb = ib.latencyUs.value * 1e-6 + kvBytes / (((ib.gbpsPerChip.value * 1e9) / 8) * efficiency.scaleOut);
    const overNvlink = nvlink.latencyUs.value * 1e-6 + kvBytes / (nvlink.bandwidthGBps.value * 1e9 * efficiency.scaleUp);
    expect(overIb).toBeGreaterThan(overNvlink);

    expect(overScaleOut.ttft).toBeCloseTo(colocated.ttft, 12); // the first token comes from the prefill pool
    expect(overScaleOut.e2e - colocated.e2e).toBeCloseTo(overIb, 9);
    expect(overScaleUp.e2e - colocated.e2e).toBeCloseTo(overNvlink, 9);
  });
});

describe("trace files", () => {
  let dir: string;
  beforeAll(() => (dir = mkdtempSync(join(tmpdir(), "ultrasim-trace-"))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, text: string) => {
    const f = join(dir, name);
    writeFileSync(f, text);
    return f;
  };
  const errorOf = (f: string): UltrasimError => {
    try {
      readRequestTrace(f);
    } catch (e) {
      return e as UltrasimError;
    }
    throw new Error("no error");
  };
  it("reads CSV and JSONL", () => {
    expect(readRequestTrace(write("ok.csv", "arrival_time,input_tokens,output_tokens\n0,10,5\n0.5,20,6\n"))).toHaveLength(2);
    expect(readRequestTrace(write("ok.jsonl", '{"arrival_time":0,"input_tokens":3,"output_tokens":4}\n'))).toHaveLength(1);
  });
  it.each([
    ["negative.csv", "arrival_time,input_tokens,output_tokens\n0,10,5\n1,-3,5\n", 3, "inputTokens"],
    ["unsorted.csv", "arrival_time,input_tokens,output_tokens\n2,10,5\n1,10,5\n", 3, "arrivalSeconds"],
    ["missing.csv", "arrival_time,input_tokens\n0,10\n", 1, "outputTokens"],
    ["missing.jsonl", '{"arrival_time":0,"input_tokens":3,"output_tokens":4}\n{"arrival_time":1,"input_tokens":3}\n', 2, "outputTokens"],
  ])("%s names line %i", (name, text, line, field) => {
    const e = errorOf(write(name, text));
    expect(e).toBeInstanceOf(UltrasimError);
    expect(e.where.line).toBe(line);
    expect(e.where.field).toBe(field);
  });
});

describe("capacity", () => {
  const scenario = (rate: number) =>
    base({ traffic: { requests: 3000, arrival: { kind: "poisson", ratePerSecond: rate }, inputTokens: 512, outputTokens: 256 } });

  it("is what the deployment delivers when overloaded, and the offered load is the arrival rate over it", () => {
    const { capacity } = predictServing(scenario(10), catalog, { capacity: true }).report;
    expect(capacity).not.toBeNull();
    expect(capacity!.offeredRequestsPerSecond).toBeCloseTo(10, 0);
    expect(capacity!.utilization).toBeCloseTo(capacity!.offeredRequestsPerSecond / capacity!.requestsPerSecond, 9);
    expect(capacity!.requestsPerSecond * 256).toBeCloseTo(capacity!.outputTokensPerSecond, 6);
    // Offered half again what it can serve, the deployment runs flat out: at its capacity.
    const overloaded = predictServing(scenario(1.5 * capacity!.requestsPerSecond), catalog).report;
    expect(overloaded.throughput.sustainedOutputTokensPerSecond / capacity!.outputTokensPerSecond).toBeGreaterThan(0.95);
    expect(overloaded.throughput.sustainedOutputTokensPerSecond / capacity!.outputTokensPerSecond).toBeLessThan(1.05);
  });

  it("is left out unless asked, and where every request arrives at once", () => {
    expect(predictServing(scenario(10), catalog).report.capacity).toBeNull();
    const offline = base({ traffic: { requests: 200, arrival: { kind: "offline" }, inputTokens: 512, outputTokens: 256 } });
    expect(predictServing(offline, catalog, { capacity: true }).report.capacity).toBeNull();
  });
});

describe("serve plan", () => {
  const scenario = base({
    model: "llama3.1-70b",
    deployment: { system: "p5.48xlarge", precision: "fp8", tp: 2, replicas: 1, batching: { policy: "continuous", maxBatch: 64 } },
    traffic: { requests: 300, arrival: { kind: "poisson", ratePerSecond: 6 }, inputTokens: 1024, outputTokens: 128 },
    slo: { ttftSeconds: 2, tpotSeconds: 0.05 },
  });
  const systems = ["p5.48xlarge", "trn2.48xlarge", "trn3-ultraserver"];
  const search = { systems, maxChips: 32, tps: [2, 4, 8], batches: [64] };

  it("ranks the deployments meeting the SLO first, then by output tokens/s per chip", () => {
    const c = planServing(scenario, catalog, search);
    const met = c.filter((x) => x.meetsSlo);
    expect(met.length).toBeGreaterThan(1);
    expect(c.slice(0, met.length).every((x) => x.meetsSlo)).toBe(true);
    for (const x of met) {
      expect(x.ttftP90Seconds!).toBeLessThanOrEqual(2);
      expect(x.tpotP90Seconds!).toBeLessThanOrEqual(0.05);
    }
    for (let i = 1; i < met.length; i++)
      expect(met[i]!.outputTokensPerSecondPerChip).toBeLessThanOrEqual(met[i - 1]!.outputTokensPerSecondPerChip);
  });

  it("cost: with one price for every chip, $ per 1M = price x chips / tokens per second, and the cheapest is the most tokens/s per chip", () => {
    const usdPerChipHour = 3;
    const byCost = planServing(scenario, catalog, { ...search, objective: "cost", cost: { usdPerChipHour } });
    const byThroughput = planServing(scenario, catalog, { ...search, cost: { usdPerChipHour } });
    for (const x of byCost)
      expect(x.usdPerMillionOutputTokens).toBeCloseTo((usdPerChipHour * x.chips * 1e6) / (3600 * x.outputTokensPerSecond), 6);
    const best = byCost.find((x) => x.meetsSlo)!;
    expect(best.outputTokensPerSecondPerChip).toBe(byThroughput.find((x) => x.meetsSlo)!.outputTokensPerSecondPerChip);
  });

  it("cost: with the price table, sorted by $ per 1M output tokens; a system without a public price comes after those with one", () => {
    const c = planServing(scenario, catalog, { ...search, objective: "cost" });
    const met = c.filter((x) => x.meetsSlo);
    const priced = met.filter((x) => x.usdPerMillionOutputTokens !== null);
    expect(priced.length).toBeGreaterThan(1);
    expect(met.slice(0, priced.length)).toEqual(priced);
    for (let i = 1; i < priced.length; i++)
      expect(priced[i]!.usdPerMillionOutputTokens!).toBeGreaterThanOrEqual(priced[i - 1]!.usdPerMillionOutputTokens!);
    const unpriced = met.filter((x) => x.pool.system === "trn3-ultraserver");
    expect(unpriced.length).toBeGreaterThan(0);
    for (const x of unpriced) expect(x.costReason).toContain("no public price");
  });
});

describe("ultrasim serve (CLI)", () => {
  const cli = fileURLToPath(new URL("../dist/src/cli/main.js", import.meta.url));
  let dir: string;
  beforeAll(() => {
    if (!existsSync(cli)) throw new Error("run npm run build first");
    dir = mkdtempSync(join(tmpdir(), "ultrasim-serve-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const run = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { cwd: dir, encoding: "utf8", timeout: 60_000 });
  const SCENARIO = [
    "schemaVersion: 1",
    "model: llama3.1-8b",
    "deployment:",
    "  system: dgx-h100",
    "  precision: fp8",
    "  tp: 1",
    "  replicas: 2",
    "  batching:",
    "    policy: continuous",
    "    maxBatch: 64",
    "traffic:",
    "  requests: 300",
    "  arrival: { kind: poisson, ratePerSecond: 10 }",
    "  inputTokens: 512",
    "  outputTokens: 128",
  ];
  it("prints JSON with latency, throughput and goodput, and writes a trace", () => {
    const f = join(dir, "s.yaml");
    writeFileSync(f, SCENARIO.join("\n") + "\n");
    const trace = join(dir, "t.json");
    const r = run("serve", f, "--json", "--slo", "ttft=2s,tpot=100ms", "--trace", trace);
    expect(r.status, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.latency.ttftSeconds.p99).toBeGreaterThanOrEqual(report.latency.ttftSeconds.p50);
    expect(report.throughput.outputTokensPerSecond).toBeGreaterThan(0);
    expect(report.goodput.fractionMeetingSlo).toBeGreaterThan(0);
    expect(report.cost).toHaveProperty("usdPerMillionTokens");
    expect(existsSync(trace)).toBe(true);
    expect(report.capacity.utilization).toBeGreaterThan(0);
    const table = run("serve", f);
    expect(table.status, table.stderr).toBe(0);
    expect(table.stdout).toContain("time to first token");
    expect(table.stdout).toContain("capacity (this request mix)");
    const overloaded = run("serve", f, "--rate", "2000", "--requests", "2000");
    expect(overloaded.stdout).toContain("overloaded: requests arrive faster");
  });
  it("on a trn2.48xlarge, tp 16 chips runs 64 ranks and keeps 4 KV heads per chip; the table says so", () => {
    const f = join(dir, "trn2.yaml");
    const trn2 = SCENARIO.map((l) =>
      l === "model: llama3.1-8b"
        ? "model: llama3.1-70b"
        : l === "  system: dgx-h100"
          ? "  system: trn2.48xlarge"
          : l === "  tp: 1"
            ? "  tp: 16"
            : l,
    ).map((l) => (l === "  replicas: 2" ? "  replicas: 1" : l));
    writeFileSync(f, trn2.join("\n") + "\n");
    const r = run("serve", f, "--json");
    expect(r.status, r.stderr).toBe(0);
    const pool = JSON.parse(r.stdout).pools[0];
    expect(pool.tensorParallelRanks).toBe(64); // 16 chips x 4 logical NeuronCores (LNC=2)
    // Llama 3.1 70B's 8 KV heads over 64 ranks: a copy on each, 4 per chip, fp8 K and V of 128 each, 80 layers.
    const perTokenPerChip = 4 * 2 * 128 * 1 * 80;
    expect(pool.memory.tokens).toBe(Math.floor(pool.memory.kvBytesPerChip / perTokenPerChip / 16) * 16);
    const table = run("serve", f);
    expect(table.stdout).toContain("tp16 (64 ranks)");
  });
  it("serve plan --objective cost: JSON names the objective and the cheapest; a bad objective exits 2 naming the flag", () => {
    const f = join(dir, "plan.yaml");
    writeFileSync(f, SCENARIO.join("\n") + "\n");
    const r = run("serve", "plan", f, "--systems", "p5.48xlarge,trn2.48xlarge", "--objective", "cost", "--max-chips", "4", "--json");
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.objective).toBe("cost");
    const met = out.candidates.filter((c: { meetsSlo: boolean }) => c.meetsSlo);
    expect(out.best.usdPerMillionOutputTokens).toBe(
      Math.min(...met.map((c: { usdPerMillionOutputTokens: number }) => c.usdPerMillionOutputTokens)),
    );
    const bad = run("serve", "plan", f, "--objective", "cheapest");
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain("--objective");
  });
  it("a bad field: exit 2, one line with file, line and field", () => {
    const f = join(dir, "bad.yaml");
    writeFileSync(f, SCENARIO.map((l) => (l === "  tp: 1" ? "  tp: 0" : l)).join("\n") + "\n");
    const r = run("serve", f);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toContain(`${f}:6: deployment.tp`);
  });
  it("a bad trace: exit 2 naming the line", () => {
    const f = join(dir, "s2.yaml");
    writeFileSync(f, SCENARIO.join("\n") + "\n");
    const t = join(dir, "bad.csv");
    writeFileSync(t, "arrival_time,input_tokens,output_tokens\n0,10,5\n0.1,-1,5\n");
    const r = run("serve", f, "--request-trace", t);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("bad.csv:3");
  });
});
