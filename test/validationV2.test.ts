// Format v2 inference cases (../shared/validation/README.md, "Format v2") become the serving scenario
// they describe: the engine, attention data parallelism with expert parallelism, a closed loop of
// clients, a compiled batch, disaggregated pools; and each predicts.
import { describe, expect, it } from "vitest";
import { builtinCatalog } from "../src/engine/catalog/builtin.js";
import { predictServing } from "../src/engine/serve/serve.js";
import { caseScenario, predictInferenceCase, type InferenceCase } from "../src/engine/validate/inference.js";

const catalog = builtinCatalog();
const deepseek = catalog.model("deepseek-v3");

const base = (serving: Partial<InferenceCase["serving"]>): InferenceCase => ({
  schemaVersion: 2,
  id: "v2-test",
  kind: "inference",
  group: "test",
  source: {},
  system: { id: "gb200-nvl72", chips: 16 },
  model: deepseek,
  serving: {
    precision: "fp8",
    tp: 1,
    pp: 1,
    ep: 8,
    replicas: 2,
    mode: "concurrency",
    batch: 256,
    inputTokens: 1024,
    outputTokens: 256,
    dataset: null,
    requests: null,
    arrivalRatePerSecond: null,
    backend: "sglang",
    attentionDp: 8,
    etp: 1,
    concurrency: 64,
    compiledBatch: null,
    disaggregated: null,
    ...serving,
  },
  measured: { outputTokensPerSecond: 1000, ttftSeconds: 1, tpotSeconds: 0.05, statistic: "mean" },
});

/** Llama 3.1 8B on Trainium2 chips under vLLM-neuron, one chip per replica, as a static batch. */
const neuronCase = (serving: Partial<InferenceCase["serving"]>): InferenceCase => {
  const replicas = serving.replicas ?? 1;
  return {
    ...base({ backend: "vllm-neuron", attentionDp: 1, etp: null, ep: 1, tp: 1, replicas, mode: "static-batch", ...serving }),
    system: { id: "trn2.48xlarge", chips: replicas },
    model: catalog.model("llama3.1-8b"),
  };
};

describe("format v2 cases", () => {
  it("attention-DP with EP in a closed loop: the worker's batch split over its attention ranks, 64 clients", () => {
    const s = caseScenario(base({}));
    expect(s.deployment).toMatchObject({ engine: "sglang", tp: 1, ep: 8, etp: 1, attentionDp: 8, replicas: 2 });
    expect(s.deployment!.batching.maxBatch).toBe(32);
    expect(s.traffic.arrival).toEqual({ kind: "closed-loop", concurrency: 64 });
    const results = predictInferenceCase(base({}), catalog);
    expect(results.map((r) => r.failure ?? null)).toEqual([null, null, null]);
  });

  it("disaggregated pools each keep their own layout and batch", () => {
    const c = base({
      disaggregated: {
        prefill: { tp: 4, ep: 4, attentionDp: 1, replicas: 1, batch: 16 },
        decode: { tp: 1, ep: 8, etp: 1, attentionDp: 8, replicas: 1, batch: 256 },
      },
    });
    const s = caseScenario(c);
    expect(s.deployment).toBeUndefined();
    expect(s.disaggregated!.prefill).toMatchObject({ tp: 4, ep: 4, replicas: 1 });
    expect(s.disaggregated!.decode).toMatchObject({ tp: 1, ep: 8, attentionDp: 8, replicas: 1 });
    expect(s.disaggregated!.decode.batching.maxBatch).toBe(32);
    expect(predictInferenceCase(c, catalog).map((r) => r.failure ?? null)).toEqual([null, null, null]);
  });

  it("a static-shape engine runs the compiled batch, the published one or else the case's batch", () => {
    const neuron = (compiledBatch: number | null) => caseScenario(neuronCase({ batch: 4, compiledBatch })).deployment!;
    expect(neuron(32).compiledBatch).toBe(32);
    expect(neuron(null).compiledBatch).toBe(4);
  });

  it("a static batch is the deployment's: one request at a time keeps one replica busy however many there are", () => {
    // guidellm's "synchronous" row behind a round-robin proxy over dp copies: one request in flight.
    const sync = (replicas: number) => neuronCase({ replicas, batch: 1, compiledBatch: 32 });
    expect(caseScenario(sync(3)).traffic.requests).toBe(1);
    const throughput = (replicas: number) =>
      predictInferenceCase(sync(replicas), catalog).find((r) => r.metric === "outputTokensPerSecond")!.predicted!;
    // The same one request on one replica or on one of three: the same rate, not three times it.
    expect(throughput(3)).toBeCloseTo(throughput(1), 6);
    // A batch that fills every replica still runs them all at once.
    const full = { ...sync(2), serving: { ...sync(2).serving, batch: 2 } };
    expect(caseScenario(full).traffic.requests).toBe(2);
  });

  it("a saturation run with no published count (offline, requests null): throughput from the queue, latencies from the server held full", () => {
    // guidellm's "throughput" profile: 3 replicas of batch 32, the run's length unpublished.
    const c = neuronCase({ replicas: 3, mode: "offline", batch: 32, compiledBatch: 32, inputTokens: 1500, outputTokens: 250 });
    const queue = caseScenario(c);
    expect(queue.traffic.arrival).toEqual({ kind: "offline" });
    const held = caseScenario(c, undefined, true);
    // One client per batch slot: 32 on each of 3 replicas.
    expect(held.traffic.arrival).toEqual({ kind: "closed-loop", concurrency: 96 });
    const [throughput, ttft, tpot] = predictInferenceCase(c, catalog);
    const queueReport = predictServing(queue, catalog, { seriesPoints: 1 }).report;
    const heldReport = predictServing(held, catalog, { seriesPoints: 1 }).report;
    expect(throughput!.predicted).toBeCloseTo(queueReport.throughput.sustainedOutputTokensPerSecond, 9);
    expect(ttft!.predicted).toBeCloseTo(heldReport.latency.ttftSeconds!.mean, 12);
    expect(tpot!.predicted).toBeCloseTo(heldReport.latency.tpotSeconds!.mean, 12);
    // The released queue (three requests per slot) makes the second and third wave wait for whole
    // requests: its mean TTFT is at least one request's decode (250 steps), far above the held server's.
    const requestSeconds = 249 * heldReport.latency.tpotSeconds!.mean;
    expect(queueReport.latency.ttftSeconds!.mean).toBeGreaterThan(requestSeconds);
    expect(ttft!.predicted!).toBeLessThan(requestSeconds / 2);
    // A published count is a finite run, simulated as it is: no held server.
    const counted = { ...c, serving: { ...c.serving, requests: 500 } };
    expect(caseScenario(counted, undefined, true).traffic.arrival).toEqual({ kind: "offline" });
  });
});

describe("the engine's version", () => {
  it("a case's backendVersion is its engine version, in every pool", () => {
    const colocated = caseScenario(base({ backendVersion: "0.4.9.post2" }));
    expect(colocated.deployment!.engineVersion).toBe("0.4.9.post2");
    const disaggregated = caseScenario(
      base({
        backendVersion: "0.5.1",
        disaggregated: {
          prefill: { tp: 4, ep: 4, attentionDp: 1, replicas: 1, batch: 16 },
          decode: { tp: 1, ep: 8, etp: 1, attentionDp: 8, replicas: 1, batch: 256 },
        },
      }),
    );
    expect(disaggregated.disaggregated!.prefill.engineVersion).toBe("0.5.1");
    expect(disaggregated.disaggregated!.decode.engineVersion).toBe("0.5.1");
    expect(caseScenario(base({ backendVersion: null })).deployment!.engineVersion).toBeUndefined();
  });
});
