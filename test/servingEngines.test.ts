// Serving engines as scheduler policies, checked against hand derivations: a static-shape (Neuron)
// replica serving one request pays for its whole compiled batch; on-demand KV allocation (vLLM) runs
// more requests at once than reserving each request's whole context (TensorRT-LLM) in the same
// memory; a closed loop of N clients obeys Little's law (N = throughput x latency); a prefill-first
// scheduler (SGLang) never mixes prompts into decode steps.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { builtinCatalog } from "../src/engine/catalog/builtin.js";
import {
  BUILTIN_SERVING_ENGINES,
  compareReleases,
  defaultSequenceBuckets,
  hostOverlapOf,
  releaseNumbers,
  ServingEngineSpec,
} from "../src/engine/serve/engines.js";
import type { ServingScenario } from "../src/engine/serve/scenario.js";
import { SCHEDULERS } from "../src/engine/serve/schedulers/index.js";
import { predictServing } from "../src/engine/serve/serve.js";
import { concurrencyCurve } from "../src/engine/serve/concurrencyCurve.js";
import { Value } from "@sinclair/typebox/value";
import { UltrasimError } from "../src/engine/errors.js";
import { loadServingScenario } from "../src/node/servingScenario.js";

const catalog = builtinCatalog();

const neuron = (requests: number, compiledBatch: number, maxBatch = compiledBatch): ServingScenario => ({
  schemaVersion: 1,
  model: "llama3.1-8b",
  deployment: {
    system: "trn2.48xlarge",
    precision: "bf16",
    tp: 1,
    replicas: 1,
    engine: "vllm-neuron",
    compiledBatch,
    batching: { policy: "static", maxBatch },
  },
  traffic: { requests, arrival: { kind: "offline" }, inputTokens: 500, outputTokens: 200 },
});

describe("engines are data", () => {
  it("every engine validates against its schema, names a registered scheduler and cites a source", () => {
    for (const e of BUILTIN_SERVING_ENGINES) {
      expect(Value.Check(ServingEngineSpec, e), e.id).toBe(true);
      expect(SCHEDULERS[e.scheduler], e.id).toBeDefined();
      expect(e.source.length, e.id).toBeGreaterThan(20);
      expect(e.iterationOverheadUs.provenance, e.id).toMatch(/^(fitted on \d+ open inference case|prior)/);
    }
  });

  it("an unknown engine is refused by name, listing the choices", () => {
    const s = neuron(1, 1);
    s.deployment!.engine = "lmdeploy";
    expect(() => predictServing(s, catalog)).toThrow(UltrasimError);
    expect(() => predictServing(s, catalog)).toThrow(/unknown serving engine "lmdeploy": must be one of vllm \| trtllm/);
  });

  it("compiledBatch on a dynamic-shape engine is refused, naming the field", () => {
    // On a GPU (vLLM's CUDA engine cannot run on Neuron at all: that is refused by engine first).
    const s = neuron(1, 8);
    s.deployment!.engine = "vllm";
    s.deployment!.system = "dgx-h100";
    try {
      predictServing(s, catalog);
      expect.unreachable();
    } catch (e) {
      expect((e as UltrasimError).where.field).toBe("deployment.compiledBatch");
    }
  });

  it("default buckets are powers of two from 128 up to the first holding the longest sequence", () => {
    expect(defaultSequenceBuckets(700)).toEqual([128, 256, 512, 1024]);
    expect(defaultSequenceBuckets(128)).toEqual([128]);
  });
});

describe("static shapes (Neuron)", () => {
  it("one request on a graph compiled for batch 32 decodes as slowly as 32 requests", () => {
    // Hand reasoning: the token-generation graph always runs its 32 rows over the same context
    // bucket, so the executed work, and with it the step time, is the same with 1 or 32 requests.
    const one = predictServing(neuron(1, 32), catalog).report.latency.tpotSeconds!.mean;
    const full = predictServing(neuron(32, 32), catalog).report.latency.tpotSeconds!.mean;
    expect(one / full).toBeGreaterThan(0.99);
    expect(one / full).toBeLessThan(1.01);
    // Compiled for batch 1, the same request reads 31 fewer rows of KV cache: strictly faster.
    const compiledForOne = predictServing(neuron(1, 1), catalog).report.latency.tpotSeconds!.mean;
    expect(compiledForOne).toBeLessThan(one);
  });

  it("a request longer than the longest compiled sequence is rejected with the reason", () => {
    const s = neuron(1, 1);
    s.deployment!.sequenceBuckets = [256, 512];
    const { report } = predictServing(s, catalog);
    expect(report.requests.rejected).toBe(1);
    expect(report.rejectedRequests[0]!.reason).toMatch(/longest compiled sequence \(512\)/);
  });
});

describe("KV admission", () => {
  it("on-demand blocks (vLLM) run more requests at once than whole-context reservation (TensorRT-LLM) in the same memory", () => {
    // A cache of a few thousand tokens, prompts of 64 and answers of 960: reserving 1024 tokens per
    // request admits capacity / 1024 at once; allocating as tokens arrive admits many more early on.
    const scenario = (engine: string): ServingScenario => ({
      schemaVersion: 1,
      model: "llama3.1-8b",
      deployment: {
        system: "dgx-h100",
        precision: "bf16",
        tp: 1,
        replicas: 1,
        engine,
        memoryUtilization: 0.3,
        batching: { policy: "continuous", maxBatch: 1024 },
      },
      traffic: { requests: 400, arrival: { kind: "offline" }, inputTokens: 64, outputTokens: 960 },
    });
    const vllm = predictServing(scenario("vllm"), catalog, { recordIterations: true });
    const trt = predictServing(scenario("trtllm"), catalog, { recordIterations: true });
    const blocks = vllm.report.pools[0]!.memory.blocks;
    const reservedAtOnce = Math.floor(blocks / Math.ceil(1024 / 16));
    const peak = (records: { requests: number }[]) => Math.max(...records.map((r) => r.requests));
    expect(peak(trt.records)).toBeLessThanOrEqual(reservedAtOnce);
    expect(peak(vllm.records)).toBeGreaterThan(1.5 * reservedAtOnce);
    expect(trt.report.requests.preemptions).toBe(0);
  });
});

describe("closed loop", () => {
  it("obeys Little's law: clients = requests/s x mean latency", () => {
    const clients = 24;
    const s: ServingScenario = {
      schemaVersion: 1,
      model: "llama3.1-8b",
      deployment: { system: "dgx-h100", precision: "bf16", tp: 1, replicas: 1, batching: { policy: "continuous", maxBatch: 256 } },
      traffic: { requests: 1200, arrival: { kind: "closed-loop", concurrency: clients }, inputTokens: 512, outputTokens: 128 },
    };
    const { report } = predictServing(s, catalog);
    // Every request has 128 output tokens, so requests/s = output tokens/s / 128 in the steady state.
    const requestsPerSecond = report.throughput.sustainedOutputTokensPerSecond / 128;
    const latency = report.latency.e2eSeconds!.mean;
    expect((requestsPerSecond * latency) / clients).toBeGreaterThan(0.97);
    expect((requestsPerSecond * latency) / clients).toBeLessThan(1.03);
  });

  it("measures its steady state without the first and last rounds, or the whole run with every request", () => {
    const clients = 16;
    const run = (measure: "steady-state" | "whole-run") =>
      predictServing(
        {
          schemaVersion: 1,
          model: "llama3.1-8b",
          deployment: { system: "dgx-h100", precision: "bf16", tp: 1, replicas: 1, batching: { policy: "continuous", maxBatch: 256 } },
          traffic: {
            requests: 10 * clients,
            arrival: { kind: "closed-loop", concurrency: clients, measure },
            inputTokens: { distribution: "lognormal", mean: 512, sigma: 0.6, max: 4096 },
            outputTokens: { distribution: "lognormal", mean: 128, sigma: 0.6, max: 1024 },
          },
        },
        catalog,
      ).report;
    const [steady, whole] = [run("steady-state"), run("whole-run")];
    // The same simulation, measured over different requests: the first N sent and the last N left out.
    expect(whole.requests.completed).toBe(10 * clients);
    expect(whole.latency.measuredRequests).toBe(10 * clients);
    expect(steady.latency.measuredRequests).toBe(10 * clients - 2 * clients);
    expect(whole.throughput).toEqual(steady.throughput);
    // Each client's requests run back to back from time 0, so over the whole run the latencies sum to
    // the clients' busy spans: at most clients x the run's duration.
    const sum = whole.latency.e2eSeconds!.mean * whole.latency.measuredRequests;
    expect(sum).toBeLessThanOrEqual(clients * whole.durationSeconds * (1 + 1e-9));
    expect(sum).toBeGreaterThan(0.8 * clients * whole.durationSeconds);
    // The first round sends every prompt at once: its queue shows in the whole run's tail.
    expect(whole.latency.ttftSeconds!.p99).toBeGreaterThan(steady.latency.ttftSeconds!.p99);
  });

  it("over several client counts is the curve of those closed loops: throughput up, tokens/s per user down", () => {
    const s: ServingScenario = {
      schemaVersion: 1,
      model: "llama3.1-8b",
      deployment: { system: "dgx-h100", precision: "bf16", tp: 1, replicas: 1, batching: { policy: "continuous", maxBatch: 256 } },
      traffic: { requests: 200, inputTokens: 512, outputTokens: 128 },
    };
    const points = concurrencyCurve(s, catalog, [1, 8, 64]);
    expect(points.map((p) => p.concurrency)).toEqual([1, 8, 64]);
    // At least eight rounds per client, so the steady state keeps six.
    expect(points.map((p) => p.requests)).toEqual([200, 200, 512]);
    // Each point is the closed loop itself, simulated alone.
    const alone = predictServing(
      { ...s, traffic: { ...s.traffic, requests: 512, arrival: { kind: "closed-loop", concurrency: 64 } } },
      catalog,
      { seriesPoints: 1 },
    ).report;
    expect(points[2]!.report.latency).toEqual(alone.latency);
    const rate = points.map((p) => p.report.throughput.sustainedOutputTokensPerSecond);
    const perUser = points.map((p) => 1 / p.report.latency.tpotSeconds!.mean);
    for (let i = 1; i < points.length; i++) {
      expect(rate[i]).toBeGreaterThan(rate[i - 1]!);
      expect(perUser[i]).toBeLessThanOrEqual(perUser[i - 1]! * (1 + 1e-9));
    }
    // One client at a time: a request's output tokens over its decode time is the tokens/s it sees.
    expect(rate[0]! / perUser[0]!).toBeGreaterThan(0.9);
    expect(rate[0]! / perUser[0]!).toBeLessThan(1.0);
  });

  it("more clients never lower the throughput, and raise the latency", () => {
    const run = (clients: number) =>
      predictServing(
        {
          schemaVersion: 1,
          model: "llama3.1-8b",
          deployment: { system: "dgx-h100", precision: "bf16", tp: 1, replicas: 1, batching: { policy: "continuous", maxBatch: 256 } },
          traffic: { requests: 40 * clients, arrival: { kind: "closed-loop", concurrency: clients }, inputTokens: 256, outputTokens: 64 },
        },
        catalog,
      ).report;
    const [a, b] = [run(4), run(32)];
    expect(b.throughput.sustainedOutputTokensPerSecond).toBeGreaterThan(a.throughput.sustainedOutputTokensPerSecond);
    expect(b.latency.e2eSeconds!.mean).toBeGreaterThan(a.latency.e2eSeconds!.mean);
  });
});

describe("prefill-first (SGLang)", () => {
  it("never mixes a prompt into a decode step; continuous batching (vLLM) does", () => {
    const run = (engine: string) =>
      predictServing(
        {
          schemaVersion: 1,
          model: "llama3.1-8b",
          deployment: {
            system: "dgx-h100",
            precision: "bf16",
            tp: 1,
            replicas: 1,
            engine,
            batching: { policy: "continuous", maxBatch: 64 },
          },
          traffic: { requests: 200, arrival: { kind: "poisson", ratePerSecond: 8 }, inputTokens: 1024, outputTokens: 128 },
          seed: 3,
        },
        catalog,
        { recordIterations: true },
      ).records;
    const mixed = (records: { prefillTokens: number; decodeTokens: number }[]) =>
      records.filter((r) => r.prefillTokens > 0 && r.decodeTokens > 0).length;
    expect(mixed(run("sglang"))).toBe(0);
    expect(mixed(run("vllm"))).toBeGreaterThan(0);
  });
});

describe("serve flags for engines and closed loops", () => {
  const cli = fileURLToPath(new URL("../dist/src/cli/main.js", import.meta.url));
  const example = fileURLToPath(new URL("../examples/serve-llama3-70b-p5.yaml", import.meta.url));
  const run = (...args: string[]) => spawnSync(process.execPath, [cli, "serve", example, ...args], { encoding: "utf8", timeout: 120_000 });

  it("--engine and --concurrency set every pool's engine and a closed loop, as the scenario fields would", { timeout: 120_000 }, () => {
    const r = run("--engine", "trtllm", "--concurrency", "16", "--requests", "160", "--json");
    expect(r.status, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as { pools: { engine: string; kvAdmission: string }[]; requests: { completed: number } };
    expect(report.pools.map((p) => [p.engine, p.kvAdmission])).toEqual([["trtllm", "reserve"]]);
    expect(report.requests.completed).toBe(160);
  });

  it("--engine-version and --host-overlap set every pool's, as the scenario fields would", () => {
    const pool = (flags: Parameters<typeof loadServingScenario>[1]) => loadServingScenario(example, flags).scenario.deployment!;
    expect(pool({ engineVersion: "0.10.1" }).engineVersion).toBe("0.10.1");
    expect(pool({ hostOverlap: "off" }).hostOverlap).toBe(false);
    expect(pool({ hostOverlap: "on" }).hostOverlap).toBe(true);
    expect(pool({}).hostOverlap).toBeUndefined();
  });

  it("--arrivals constant spaces the requests of --rate, or of the file's rate, evenly", () => {
    expect(loadServingScenario(example, { rate: "5", arrivals: "constant" }).scenario.traffic.arrival).toEqual({
      kind: "constant",
      ratePerSecond: 5,
    });
    // The example sends Poisson arrivals at 20 requests/s.
    expect(loadServingScenario(example, { arrivals: "constant" }).scenario.traffic.arrival).toEqual({
      kind: "constant",
      ratePerSecond: 20,
    });
    expect(loadServingScenario(example, { rate: "5" }).scenario.traffic.arrival).toEqual({ kind: "poisson", ratePerSecond: 5 });
  });

  it(
    "an unknown --engine or --arrivals, --rate with --concurrency, --arrivals with it, --measure without it, or a bad list of client counts, is one line naming the flag, exit 2",
    { timeout: 60_000 },
    () => {
      for (const [args, flag] of [
        [["--engine", "foo"], "--engine"],
        [["--rate", "2", "--concurrency", "4"], "--concurrency"],
        [["--arrivals", "even"], "--arrivals"],
        [["--arrivals", "constant", "--concurrency", "4"], "--arrivals"],
        [["--host-overlap", "maybe"], "--host-overlap"],
        [["--engine-version", " "], "--engine-version"],
        [["--measure", "whole-run"], "--measure"],
        [["--concurrency", "4", "--measure", "all"], "--measure"],
        [["--concurrency", "4,x"], "--concurrency"],
        [["--concurrency", "4,0"], "--concurrency"],
        [["--concurrency", "4,8", "--trace", "t.json"], "--concurrency"],
      ] as const) {
        const r = run(...args);
        expect(r.status).toBe(2);
        expect(r.stderr.trim().split("\n")).toHaveLength(1);
        expect(r.stderr).toContain(flag);
      }
    },
  );
});

describe("serve plan searches pipeline depth and attention ranks on request", () => {
  const cli = fileURLToPath(new URL("../dist/src/cli/main.js", import.meta.url));
  const example = fileURLToPath(new URL("../examples/serve-llama3-70b-p5.yaml", import.meta.url));

  it("--pps 1,2 simulates both depths, each candidate's chips = tp x pp x replicas", { timeout: 180_000 }, () => {
    const r = spawnSync(
      process.execPath,
      [cli, "serve", "plan", example, "--requests", "100", "--max-chips", "8", "--pps", "1,2", "--json"],
      {
        encoding: "utf8",
        timeout: 170_000,
      },
    );
    expect(r.status, r.stderr).toBe(0);
    const { candidates } = JSON.parse(r.stdout) as { candidates: { chips: number; pool: { tp: number; pp?: number; replicas: number } }[] };
    expect(new Set(candidates.map((c) => c.pool.pp ?? 1))).toEqual(new Set([1, 2]));
    for (const c of candidates) expect(c.chips).toBe(c.pool.tp * (c.pool.pp ?? 1) * c.pool.replicas);
  });
});

describe("host overlap by the engine's release", () => {
  const vllm = BUILTIN_SERVING_ENGINES.find((e) => e.id === "vllm")!;
  const trtllm = BUILTIN_SERVING_ENGINES.find((e) => e.id === "trtllm")!;

  it("reads the release out of the ways versions are written", () => {
    expect(releaseNumbers("v0.10.1.1")).toEqual([0, 10, 1, 1]);
    expect(releaseNumbers("1.2.0rc1")).toEqual([1, 2, 0]);
    expect(releaseNumbers("Neuron SDK 2.18")).toEqual([2, 18]);
    expect(releaseNumbers("nightly")).toBeNull();
    expect(compareReleases([1, 0], [1, 0, 0])).toBe(0);
    expect(compareReleases([0, 9, 2], [0, 14, 0])).toBeLessThan(0);
    expect(compareReleases([0, 14, 1], [0, 14])).toBeGreaterThan(0);
  });

  it("a release before the engine made it its default runs without it, one at or after it with it", () => {
    expect(vllm.hostOverlap.sinceVersion).toBe("0.14.0");
    expect(hostOverlapOf(vllm, { engineVersion: "0.10.1" }).value).toBe(false);
    expect(hostOverlapOf(vllm, { engineVersion: "v0.14.0" }).value).toBe(true);
    expect(hostOverlapOf(vllm, { engineVersion: "0.20.2" }).value).toBe(true);
    // TensorRT-LLM: off where the version is unknown (as its fitted runs), on from 1.0's PyTorch backend.
    expect(hostOverlapOf(trtllm, {}).value).toBe(false);
    expect(hostOverlapOf(trtllm, { engineVersion: "0.21.0" }).value).toBe(false);
    expect(hostOverlapOf(trtllm, { engineVersion: "1.1.0rc5" }).value).toBe(true);
  });

  it("an unreadable version keeps the engine's default, and the scenario's own choice beats both", () => {
    expect(hostOverlapOf(vllm, { engineVersion: "nightly" }).value).toBe(vllm.hostOverlap.value);
    expect(hostOverlapOf(vllm, { engineVersion: "0.20.2", hostOverlap: false })).toEqual({
      value: false,
      provenance: "the scenario's hostOverlap",
    });
  });

  it("every engine that names a release names one that reads as a release", () => {
    for (const e of BUILTIN_SERVING_ENGINES)
      if (e.hostOverlap.sinceVersion !== undefined) expect(releaseNumbers(e.hostOverlap.sinceVersion)).not.toBeNull();
  });
});
