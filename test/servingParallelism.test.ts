// Serving parallelism beyond tensor parallelism: attention data parallelism beside expert
// parallelism (each attention rank its own batch and KV cache, the MoE layers over the whole
// replica), pipeline micro-batches in flight (vLLM's virtual engines), and the KV transfer of
// disaggregated serving over several ranks' links. Expectations are derived by hand from the
// catalog's figures; the properties are ones a wrong model breaks.
import { describe, expect, it } from "vitest";
import { builtinCatalog } from "../src/engine/catalog/builtin.js";
import { UltrasimError } from "../src/engine/errors.js";
import { resolvePool } from "../src/engine/serve/deployment.js";
import { createIterationModel } from "../src/engine/serve/iterationTime.js";
import { weightBytesPerChip } from "../src/engine/serve/kvCache.js";
import type { PoolSpec, ServingScenario } from "../src/engine/serve/scenario.js";
import { predictServing } from "../src/engine/serve/serve.js";
import { servingEfficiency } from "../src/engine/serve/servingEfficiency.js";

const catalog = builtinCatalog();

const pool = (over: Partial<PoolSpec> = {}): PoolSpec => ({
  system: "dgx-h100",
  precision: "fp8",
  tp: 8,
  replicas: 1,
  batching: { policy: "continuous", maxBatch: 256 },
  ...over,
});
const scenario = (model: string, deployment: PoolSpec, traffic: ServingScenario["traffic"]): ServingScenario => ({
  schemaVersion: 1,
  model,
  deployment,
  traffic,
  seed: 5,
});
const degreeError = (spec: PoolSpec, model = "qwen3-235b-a22b"): UltrasimError => {
  try {
    resolvePool(spec, "colocated", catalog.model(model), catalog, "deployment");
  } catch (e) {
    return e as UltrasimError;
  }
  throw new Error("no error");
};
/** Everything queued at once, more than the deployment can run together: throughput is what it can sustain. */
const flood = (requests: number): ServingScenario["traffic"] => ({
  requests,
  arrival: { kind: "offline" },
  inputTokens: 512,
  outputTokens: 256,
});

describe("attention data parallelism and expert parallelism", () => {
  it("checks ep x etp = tp x attentionDp and names the field", () => {
    const mismatch = degreeError(pool({ tp: 2, attentionDp: 4, ep: 4, etp: 1 }));
    expect(mismatch).toBeInstanceOf(UltrasimError);
    expect(mismatch.code).toBe("INVALID_DEGREE");
    expect(mismatch.where.field).toBe("deployment.etp");
    expect(mismatch.message).toMatch(/ep 4 x etp 1 must equal tp 2 x attentionDp 4 = 8/);
    const notDividing = degreeError(pool({ tp: 2, attentionDp: 2, ep: 3 }));
    expect(notDividing.code).toBe("INVALID_DEGREE");
    expect(notDividing.where.field).toBe("deployment.ep");
    // etp 3 leaves no whole ep for 8 chips.
    expect(degreeError(pool({ tp: 2, attentionDp: 4, etp: 3 })).where.field).toBe("deployment.etp");
  });

  it("resolves the degrees, chips and engines of a DeepSeek-style layout", () => {
    const resolved = resolvePool(
      pool({ tp: 1, attentionDp: 8, ep: 8, replicas: 2 }),
      "colocated",
      catalog.model("qwen3-235b-a22b"),
      catalog,
      "deployment",
    );
    const s = resolved.summary;
    expect([s.tp, s.attentionDp, s.ep, s.etp]).toEqual([1, 8, 8, 1]);
    expect(s.chips).toBe(16); // tp x attentionDp x pp x replicas
    expect(s.virtualEngines).toBe(16); // one scheduler per attention rank
    expect(resolved.runtime.replicas).toBe(16);
    // Without ep, etp is the rest: the experts split over all eight chips.
    const split = resolvePool(
      pool({ tp: 2, attentionDp: 4 }),
      "colocated",
      catalog.model("qwen3-235b-a22b"),
      catalog,
      "deployment",
    ).summary;
    expect([split.ep, split.etp]).toEqual([1, 8]);
    // Given etp, ep is what it leaves.
    const given = resolvePool(
      pool({ tp: 2, attentionDp: 4, etp: 2 }),
      "colocated",
      catalog.model("qwen3-235b-a22b"),
      catalog,
      "deployment",
    ).summary;
    expect([given.ep, given.etp]).toEqual([4, 2]);
  });

  it("copies attention, embeddings and the router per rank and spreads the routed experts over the replica (hand count)", () => {
    // Qwen3 235B-A22B (data/models.json): 94 layers, hidden 4096, 64 query and 4 KV heads of 128,
    // all MoE (128 experts of ffn 1536, SwiGLU: three matrices), vocabulary 151,936, untied.
    const model = catalog.model("qwen3-235b-a22b");
    const m = model.moe!;
    expect([model.layers, model.hidden, model.heads, model.kvHeads, m.experts, m.expertFfnHidden, m.denseLayers]).toEqual([
      94, 4096, 64, 4, 128, 1536, 0,
    ]);
    const routed = 94 * 128 * 3 * 4096 * 1536;
    const attention = 94 * (4096 * 64 * 128 + 2 * 4096 * 4 * 128 + 64 * 128 * 4096 + 2 * 128); // Q, K and V, O, q/k norms
    const perLayerOther = 4096 * 128 /* router */ + 2 * 4096; /* norms */
    const vocab = 2 * 151936 * 4096;
    const replicated = attention + 94 * perLayerOther + 4096; /* final norm */
    // fp8 weights at 1 byte, embeddings in 16-bit. tp 1 x attentionDp 8: each chip a whole copy of
    // attention and a 16-bit vocabulary, an eighth of the experts.
    const expected = replicated * 1 + vocab * 2 + routed / 8;
    expect(weightBytesPerChip(model, "fp8", 1, 1, 1, 8) / expected).toBeCloseTo(1, 2);
    // tp 8 without attention data parallelism: everything an eighth.
    expect(weightBytesPerChip(model, "fp8", 8, 1, 1, 1) / ((replicated + vocab * 2 + routed) / 8)).toBeCloseTo(1, 2);
  });

  it("routes every attention rank's tokens through this rank's experts", () => {
    const model = catalog.model("qwen3-235b-a22b");
    const resolved = resolvePool(pool({ tp: 2, ep: 2 }), "colocated", model, catalog, "deployment");
    const work = { prefillTokens: 0, prefillAttendedKeys: 0, decodeTokens: 32, decodeContextTokens: 32 * 1024, logitsTokens: 32 };
    // The same chips holding the same experts (ep 2, etp 1), fed by 1 or 4 attention ranks of 32 tokens
    // each: the expert GEMMs run 4x the token copies and the dispatch carries them.
    const iteration = (attentionDp: number) =>
      createIterationModel({
        model,
        hw: resolved.hw,
        serving: servingEfficiency(catalog, "h100-sxm").efficiency,
        precision: "fp8",
        kvPrecision: "fp8",
        tp: 2,
        pp: 1,
        ep: 2,
        etp: 1,
        attentionDp,
        logicalCoresPerChip: 1,
        iterationOverheadUs: 1000,
      })(work);
    const [one, four] = [iteration(1), iteration(4)];
    expect(four.gemm).toBeGreaterThan(one.gemm * 1.05);
    expect(four.attention).toBe(one.attention); // attention is the rank's own
    // And the same rank's batch of 128 alone reads the same experts as four ranks' 32 each.
    const alone = createIterationModel({
      model,
      hw: resolved.hw,
      serving: servingEfficiency(catalog, "h100-sxm").efficiency,
      precision: "fp8",
      kvPrecision: "fp8",
      tp: 2,
      pp: 1,
      ep: 2,
      etp: 1,
      logicalCoresPerChip: 1,
      iterationOverheadUs: 1000,
    });
    const expertsOnly = (w: typeof work, r: number) => alone({ ...w, decodeTokens: w.decodeTokens * r }).gemm;
    expect(four.gemm).toBeLessThan(expertsOnly(work, 4));
  });

  it("at high load, more attention ranks (fixed chips) never lower the throughput while the cache holds the batch", () => {
    const rates = [1, 2, 4, 8].map((attentionDp) => {
      const { report } = predictServing(
        scenario(
          "qwen3-235b-a22b",
          pool({ tp: 8 / attentionDp, attentionDp, ep: 8, batching: { policy: "continuous", maxBatch: 1024 } }),
          flood(2000),
        ),
        catalog,
      );
      expect(report.feasible).toBe(true);
      expect(report.requests.preemptions).toBe(0);
      return report.throughput.sustainedOutputTokensPerSecond;
    });
    for (let i = 1; i < rates.length; i++) expect(rates[i]!).toBeGreaterThanOrEqual(rates[i - 1]! * 0.99);
    // And they buy something: eight ranks run well over the tp-8 replica's rate.
    expect(rates[3]!).toBeGreaterThan(rates[0]! * 1.5);
  });
});

describe("pipeline-parallel serving with micro-batches in flight", () => {
  const llama = (pp: number, traffic: ServingScenario["traffic"]) =>
    predictServing(
      scenario("llama3.1-8b", pool({ precision: "bf16", tp: 1, pp, batching: { policy: "continuous", maxBatch: 128 } }), traffic),
      catalog,
    ).report;

  it("runs pp engines per replica, each with 1/pp of the replica's KV blocks", () => {
    const resolved = resolvePool(
      pool({ precision: "bf16", tp: 1, pp: 4, replicas: 3 }),
      "colocated",
      catalog.model("llama3.1-8b"),
      catalog,
      "deployment",
    );
    expect(resolved.summary.virtualEngines).toBe(12);
    expect(resolved.runtime.replicas).toBe(12);
    expect(resolved.runtime.capacityBlocks).toBe(Math.floor(resolved.summary.memory.blocks / 4));
    expect(resolved.summary.kvTokensPerVirtualEngine).toBe(resolved.runtime.capacityBlocks * resolved.summary.memory.blockTokens);
  });

  it("grows throughput with pp at the same tp under load, and never improves one request's latency", () => {
    const sustained = [1, 2, 4].map((pp) => llama(pp, flood(1500)).throughput.sustainedOutputTokensPerSecond);
    expect(sustained[1]!).toBeGreaterThan(sustained[0]! * 1.6);
    expect(sustained[2]!).toBeGreaterThan(sustained[1]! * 1.6);
    // One request alone goes through every stage in turn: pp adds sends, takes nothing away.
    const alone = { requests: 1, inputTokens: 512, outputTokens: 64 };
    const [e1, e2, e4] = [1, 2, 4].map((pp) => llama(pp, alone).latency.e2eSeconds!.mean);
    expect(e2!).toBeGreaterThanOrEqual(e1! * 0.999);
    expect(e4!).toBeGreaterThanOrEqual(e2! * 0.999);
  });

  it("counts one request through a pp-4 pipeline as keeping each chip busy a quarter of the time", () => {
    const alone = { requests: 1, inputTokens: 512, outputTokens: 64 };
    const busy = (pp: number) => {
      const o = llama(pp, alone).operations!.pools[0]!;
      return o.hfu + o.memoryUtilization;
    };
    expect(busy(1)).toBeGreaterThan(0.95);
    expect(busy(4) / busy(1)).toBeGreaterThan(0.24);
    expect(busy(4) / busy(1)).toBeLessThan(0.27);
  });
});

describe("disaggregated KV transfer over several ranks", () => {
  // Llama 3.1 8B (data/models.json): 32 layers, 8 KV heads of 128 dims, K and V, bf16: 2 bytes.
  const bytesPerToken = 32 * 2 * 8 * 128 * 2;
  const prompt = 2048;
  const system = catalog.system("dgx-h100");
  // The links (data/systems.json, per direction) at the achieved fraction the H100's serving fit was
  // made against (data/serving-efficiency.json).
  const efficiency = servingEfficiency(catalog, system.chip).kernelBasis!.efficiency;
  const ibBytesPerSecond = ((system.scaleOut.gbpsPerChip.value * 1e9) / 8) * efficiency.scaleOut;
  const nvlinkBytesPerSecond = system.scaleUp[0]!.bandwidthGBps.value * 1e9 * efficiency.scaleUp;

  /** Seconds between the prompt's last iteration (its first token) and the decode pool's first iteration. */
  const transferSeconds = (prefill: PoolSpec, decode: PoolSpec, kvLink?: "scale-out" | "scale-up") => {
    const s: ServingScenario = {
      schemaVersion: 1,
      model: "llama3.1-8b",
      disaggregated: { prefill, decode, ...(kvLink && { kvLink }) },
      traffic: { requests: 1, inputTokens: prompt, outputTokens: 4 },
    };
    const { report, records } = predictServing(s, catalog, { recordIterations: true });
    expect(report.requests.completed).toBe(1);
    const firstDecode = records.find((r) => r.pool === 1)!;
    return firstDecode.startSeconds - report.latency.ttftSeconds!.mean;
  };
  const bf16 = (over: Partial<PoolSpec>) =>
    pool({ precision: "bf16", kvCachePrecision: "bf16", batching: { policy: "continuous", maxBatch: 8 }, ...over });

  it("each of the prefill replica's tp x pp ranks sends its shard at once, limited by the side with fewer ranks", () => {
    const bytes = prompt * bytesPerToken; // 268 MB
    const ibLatency = system.scaleOut.latencyUs.value * 1e-6;
    // tp 2 prefill to a tp 4 x pp 2 decode replica: the two sending links are the limit.
    expect(transferSeconds(bf16({ tp: 2 }), bf16({ tp: 4, pp: 2 }))).toBeCloseTo(ibLatency + bytes / (2 * ibBytesPerSecond), 9);
    // tp 4 x pp 2 prefill (eight ranks, each its heads of its layers) to a tp 8 decode replica.
    expect(transferSeconds(bf16({ tp: 4, pp: 2 }), bf16({ tp: 8 }))).toBeCloseTo(ibLatency + bytes / (8 * ibBytesPerSecond), 9);
    // Over NVLink, tp 4 to tp 4.
    const nvLatency = system.scaleUp[0]!.latencyUs.value * 1e-6;
    expect(transferSeconds(bf16({ tp: 4 }), bf16({ tp: 4 }), "scale-up")).toBeCloseTo(nvLatency + bytes / (4 * nvlinkBytesPerSecond), 9);
  });

  it("into an attention data-parallel decode pool, one rank's tp chips receive a request's cache", () => {
    const bytes = prompt * bytesPerToken;
    const ibLatency = system.scaleOut.latencyUs.value * 1e-6;
    expect(transferSeconds(bf16({ tp: 4 }), bf16({ tp: 2, attentionDp: 4 }))).toBeCloseTo(ibLatency + bytes / (2 * ibBytesPerSecond), 9);
  });

  it("accepts attentionDp and etp on each pool", () => {
    const s: ServingScenario = {
      schemaVersion: 1,
      model: "qwen3-30b-a3b",
      disaggregated: {
        prefill: pool({ tp: 2, ep: 2, replicas: 1 }),
        decode: pool({ tp: 1, attentionDp: 4, ep: 4, etp: 1, replicas: 2 }),
      },
      traffic: { requests: 40, arrival: { kind: "poisson", ratePerSecond: 20 }, inputTokens: 512, outputTokens: 64 },
    };
    const { report } = predictServing(s, catalog);
    expect(report.requests.completed).toBe(40);
    const [prefill, decode] = report.pools;
    expect([prefill!.attentionDp, prefill!.ep, prefill!.etp, prefill!.chips]).toEqual([1, 2, 1, 2]);
    expect([decode!.attentionDp, decode!.ep, decode!.etp, decode!.virtualEngines, decode!.chips]).toEqual([4, 4, 1, 8, 8]);
    expect(report.chips).toBe(10);
  });
});
