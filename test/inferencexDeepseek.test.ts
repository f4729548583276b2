// SemiAnalysis InferenceX's DeepSeek-R1-0528 runs on H100, H200, B200, B300, GB200 and GB300 (SGLang,
// TensorRT-LLM, and both disaggregated under NVIDIA Dynamo), kept in data/validation/ and in no fit:
// GPU engines in closed-loop concurrency, aggregated and disaggregated, as issue 16's bar for runs
// outside the open set names them (median |error| <= 15% on each metric). The open set has no MLA
// model and no closed-loop GPU run, so these are the serving model's first check on both.
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { builtinCatalog } from "../src/engine/catalog/builtin.js";
import { caseScenario, predictInferenceCase, quickToPredict, type InferenceMetricResult } from "../src/engine/validate/inference.js";
import { closedLoopOf, randomLengthsMinRatioOf } from "../src/engine/validate/benchmarkClients.js";
import { readValidationFiles } from "../src/node/validationFiles.js";
import { predictServing } from "../src/engine/serve/serve.js";
import { layerKernels, layerOverheadUnits, DENSE_LAYER_KERNELS } from "../src/engine/serve/layerKernels.js";
import { resolvePool } from "../src/engine/serve/deployment.js";
import type { ServingScenario } from "../src/engine/serve/scenario.js";
import groups from "../data/validation/groups.json" with { type: "json" };

const catalog = builtinCatalog();
const file = fileURLToPath(new URL("../data/validation/inferencex-deepseek-r1-2026.json", import.meta.url));
const input = readValidationFiles([file]);
const cases = input.inference;
/** Issue 16's bar for published runs outside the open set: median |error| on each metric. */
const OUTSIDE_BAR_PCT = 15;
const deepseek = catalog.model("deepseek-v3");

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

describe("InferenceX's DeepSeek-R1 runs (data/validation/inferencex-deepseek-r1-2026.json)", () => {
  it("are DeepSeek-V3's architecture (R1 is a V3 checkpoint), each run's engine and layout as published", () => {
    expect(cases.length).toBeGreaterThan(600);
    for (const c of cases) {
      for (const field of ["layers", "hidden", "heads", "kvHeads", "headDim", "ffnHidden", "vocab", "moe", "mla"] as const)
        expect(c.model[field], `${c.id}: ${field}`).toEqual(deepseek[field]);
      expect(["sglang", "trtllm"], c.id).toContain(c.serving.backend);
      expect(groups[c.group as keyof typeof groups].software, c.id).toBe(c.serving.backend);
      expect(c.serving.mode, c.id).toBe("concurrency");
      // Chips as the run's GPUs: one worker, or the two pools' workers.
      const d = c.serving.disaggregated;
      const chips = (p: { tp: number; attentionDp?: number; replicas: number }) => p.tp * (p.attentionDp ?? 1) * p.replicas;
      expect(c.system.chips, c.id).toBe(
        d ? chips(d.prefill) + chips(d.decode) : chips({ ...c.serving, attentionDp: c.serving.attentionDp ?? 1 }),
      );
    }
  });

  it("are run as InferenceX's client runs them: 10 requests a client, every one reported, lengths uniform in [0.8 L, L]", () => {
    const c = cases.find((x) => !x.serving.disaggregated && x.serving.concurrency === 16 && x.serving.inputTokens === 1024)!;
    expect(closedLoopOf(c.group)).toEqual({ requestsPerClient: 10, measure: "whole-run" });
    expect(randomLengthsMinRatioOf(c.group)).toBe(0.8);
    const s = caseScenario(c);
    expect(s.traffic.requests).toBe(160);
    expect(s.traffic.arrival).toEqual({ kind: "closed-loop", concurrency: 16, measure: "whole-run" });
    // np.random.randint(int(1024 * 0.8), 1024 + 1): 819 to 1024.
    expect(s.traffic.inputTokens).toEqual({ distribution: "uniform", min: 819, max: 1024 });
    expect(s.traffic.outputTokens).toEqual({ distribution: "uniform", min: 819, max: 1024 });
  });

  it("carry the servers' stream interval, which benchmark_serving's inter-token latency shows (one gap per chunk)", () => {
    for (const c of cases) {
      const m = c.measured as unknown as { published: string };
      const itl = Number(/mean_itl ([0-9.e-]+) s/.exec(m.published)![1]);
      const interval = c.serving.streamInterval ?? 1;
      // Chunks of `interval` tokens, the last one partial: the mean gap over the mean TPOT is the mean
      // answer (0.9 L) over its chunk count.
      const meanOut = 0.9 * c.serving.outputTokens!;
      const expected = interval === 1 ? 1 : meanOut / Math.ceil(meanOut / interval);
      expect(Math.abs(itl / c.measured.tpotSeconds! / expected - 1), c.id).toBeLessThan(0.1);
    }
  });
});

describe("a streamed chunk of N tokens delays the client's first token by N - 1 decode steps", () => {
  // One client, one request of 512 + 64 tokens on one H100: nothing queues, so every step is the
  // iteration model's for that request alone.
  const scenario = (streamInterval: number): ServingScenario => ({
    schemaVersion: 1,
    kind: "serving",
    model: "llama3.1-8b",
    deployment: {
      system: "dgx-h100",
      precision: "bf16",
      tp: 1,
      replicas: 1,
      engine: "vllm",
      streamInterval,
      batching: { policy: "continuous", maxBatch: 8 },
    },
    traffic: { requests: 1, arrival: { kind: "offline" }, inputTokens: 512, outputTokens: 64 },
    seed: 1,
  });
  const run = (n: number) => predictServing(scenario(n), catalog, { seriesPoints: 1 }).report;

  it("TTFT grows by the sum of the N - 1 decode steps after the prompt's, the end-to-end time does not move", () => {
    const one = run(1);
    const ten = run(10);
    const { runtime } = resolvePool(
      scenario(1).deployment!,
      "colocated",
      catalog.model("llama3.1-8b"),
      catalog,
      "deployment",
      {},
      undefined,
      576,
    );
    // Decode steps 1..9 after the prefill: the request's context is 512 + k tokens at step k.
    let steps = 0;
    for (let k = 1; k <= 9; k++)
      steps += runtime.iteration({
        prefillTokens: 0,
        prefillAttendedKeys: 0,
        decodeTokens: 1,
        decodeContextTokens: 512 + k,
        logitsTokens: 1,
      }).seconds;
    expect(ten.latency.ttftSeconds!.mean - one.latency.ttftSeconds!.mean).toBeCloseTo(steps, 6);
    expect(ten.latency.e2eSeconds!.mean).toBeCloseTo(one.latency.e2eSeconds!.mean, 9);
    // benchmark_serving's TPOT, (end to end - TTFT) / (out - 1), over the 54 steps left instead of 63.
    expect(ten.latency.tpotSeconds!.mean).toBeLessThan(one.latency.tpotSeconds!.mean);
  });

  it("an answer shorter than the chunk arrives whole: TTFT is the end-to-end time", () => {
    const r = predictServing({ ...scenario(100), traffic: { ...scenario(100).traffic, outputTokens: 20 } }, catalog, {
      seriesPoints: 1,
    }).report;
    expect(r.latency.ttftSeconds!.mean).toBeCloseTo(r.latency.e2eSeconds!.mean, 9);
  });
});

describe("a layer's fixed device time on a GPU goes by the kernels it launches", () => {
  it("counts DeepSeek-V3's layers by hand: 3 dense (MLA + MLP: 14 kernels), 58 MoE (MLA + routed + shared: 21), against a dense layer's 9", () => {
    expect(DENSE_LAYER_KERNELS).toBe(9);
    expect(layerKernels(deepseek, false)).toBe(10 + 4);
    expect(layerKernels(deepseek, true)).toBe(10 + 8 + 3);
    expect(layerOverheadUnits(deepseek, 3, 58)).toBeCloseTo((3 * 14 + 58 * 21) / 9, 12);
    const llama = catalog.model("llama3.1-70b");
    expect(layerOverheadUnits(llama, 80, 0)).toBe(80);
  });

  it("a GPU replica's fixed time goes by dense-layer equivalents (DeepSeek 140 against Llama's 80); a Trainium one by layers (61 against 80)", () => {
    const llama = catalog.model("llama3.1-70b");
    const step = { prefillTokens: 0, prefillAttendedKeys: 0, decodeTokens: 1, decodeContextTokens: 1024, logitsTokens: 1 };
    const overhead = (system: string, tp: number, model: typeof llama) =>
      resolvePool(
        { system, precision: "fp8", tp, ep: 1, replicas: 1, batching: { policy: "continuous", maxBatch: 8 } },
        "colocated",
        model,
        catalog,
        "deployment",
      ).runtime.iteration(step).overhead;
    expect(overhead("dgx-h200", 8, deepseek) / overhead("dgx-h200", 8, llama)).toBeCloseTo((3 * 14 + 58 * 21) / 9 / 80, 9);
    expect(overhead("trn2.48xlarge", 16, deepseek) / overhead("trn2.48xlarge", 16, llama)).toBeCloseTo(61 / 80, 9);
  });
});

describe("InferenceX's DeepSeek-R1 runs, predicted", () => {
  // Every aggregated run, and the disaggregated runs up to 256 clients (larger ones simulate tens of
  // thousands of requests each; `ultrasim validate` on the file runs them all).
  const chosen = cases.filter(quickToPredict);
  let results: InferenceMetricResult[] = [];
  const predict = () => {
    if (results.length === 0) results = chosen.flatMap((c) => predictInferenceCase(c, catalog));
    return results;
  };

  it("predicts every run, or reports why not (a layout that does not fit is a result)", { timeout: 300_000 }, () => {
    const r = predict();
    expect(r.length).toBeGreaterThan(3 * 300);
    for (const x of r) expect(x.predicted !== null || /no room|must divide/.test(x.failure ?? ""), `${x.id}: ${x.failure}`).toBe(true);
  });

  // KNOWN MISS (issue 16): TPOT within the bar (14%), throughput (19%) and TTFT (43%) not: Blackwell
  // aggregated runs still decode too fast and disaggregated prefill pools queue as the model does not
  // have them; see docs/validation.md "DeepSeek-R1 on GPUs from InferenceX".
  it.fails(
    `median |error| <= ${OUTSIDE_BAR_PCT}% on each metric (issue 16's bar on runs outside the open set)`,
    { timeout: 300_000 },
    () => {
      const r = predict();
      for (const metric of ["outputTokensPerSecond", "ttftSeconds", "tpotSeconds"]) {
        const errors = r.filter((x) => x.metric === metric && x.errorPct !== null).map((x) => Math.abs(x.errorPct!));
        expect(median(errors), metric).toBeLessThanOrEqual(OUTSIDE_BAR_PCT);
      }
    },
  );
});
