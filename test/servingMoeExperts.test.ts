// How a static-shape runtime runs routed experts (engines.ts, `moeExperts`; NxD Inference's
// ExpertMLPs), checked against hand counts of the expert GEMMs: a decode step whose tokens x topK /
// experts reaches the threshold runs every expert on every token; below it, only the chosen experts
// run (as on a GPU engine); a long prefill runs blockwise over ceil(tokens x topK / block) + experts - 1
// blocks of `block` rows; a short one runs all experts. Engines without the policy are unchanged.
import { describe, expect, it } from "vitest";
import { builtinCatalog } from "../src/engine/catalog/builtin.js";
import { gemmSeconds } from "../src/engine/analytic/roofline.js";
import { BUILTIN_SERVING_ENGINES, type MoeExpertsPolicy } from "../src/engine/serve/engines.js";
import type { IterationWork } from "../src/engine/serve/iterationTime.js";
import { plainIterationModel } from "./modelHelpers.js";

const catalog = builtinCatalog();
const hw = catalog.hardware("trn2.48xlarge");
const model = catalog.model("qwen3-30b-a3b");
const moe = model.moe!;
const policy: MoeExpertsPolicy = { selectiveLoadingThreshold: 1, blockSize: 512, source: "test" };
const iteration = (moeExperts: MoeExpertsPolicy | null, on = model) => plainIterationModel({ model: on, hw, ep: 1, moeExperts });
const moeLayers = model.layers - moe.denseLayers;
const k = 3; // SwiGLU: up, gate and down
const experts = (rows: number, groups: number) =>
  gemmSeconds(hw, "bf16", rows, model.hidden, (k - 1) * moe.expertFfnHidden, groups) +
  gemmSeconds(hw, "bf16", rows, moe.expertFfnHidden, model.hidden, groups);
/** Only the chosen experts: the touched ones, sharing the routed token copies (iterationTime.ts). */
const chosen = (tokens: number) => {
  const touched = moe.experts * (1 - Math.pow(1 - moe.topK / moe.experts, tokens));
  return experts(Math.max(1, (tokens * moe.topK) / touched), touched);
};
const decode = (n: number): IterationWork => ({
  prefillTokens: 0,
  prefillAttendedKeys: 0,
  decodeTokens: n,
  decodeContextTokens: n * 1000,
  logitsTokens: n,
});
const prefill = (n: number): IterationWork => ({
  prefillTokens: n,
  prefillAttendedKeys: (n * (n + 1)) / 2,
  decodeTokens: 0,
  decodeContextTokens: 0,
  logitsTokens: 1,
});
/** What the policy adds over running only the chosen experts, in seconds of GEMMs. */
const extra = (work: IterationWork) => iteration(policy)(work).gemm - iteration(null)(work).gemm;

describe("routed experts under static shapes (NxD Inference)", () => {
  it("Neuron engines carry the policy with its source; GPU engines do not", () => {
    for (const e of BUILTIN_SERVING_ENGINES) {
      if (e.id === "vllm-neuron" || e.id === "nxd-inference") expect(e.moeExperts?.source, e.id).toMatch(/expert_mlps/);
      if (["vllm", "trtllm", "sglang"].includes(e.id)) expect(e.moeExperts, e.id).toBeUndefined();
    }
  });

  it("decode at or above the threshold runs all experts on every token", () => {
    const n = 32; // 32 x 8 / 128 = 2 >= 1
    expect((n * moe.topK) / moe.experts).toBeGreaterThanOrEqual(1);
    expect(extra(decode(n))).toBeCloseTo(moeLayers * (experts(n, moe.experts) - chosen(n)), 9);
    expect(extra(decode(n))).toBeGreaterThan(0);
  });

  it("decode below the threshold loads only the chosen experts, as a GPU engine does", () => {
    const n = 4; // 4 x 8 / 128 = 0.25 < 1
    expect(extra(decode(n))).toBeCloseTo(0, 12);
  });

  it("a long prefill runs blockwise: ceil(T x topK / 512) + E - 1 blocks of 512 rows", () => {
    const n = 2048;
    const blocks = Math.ceil((n * moe.topK) / 512) + moe.experts - 1; // 32 + 127 = 159
    expect(blocks).toBe(159);
    expect(extra(prefill(n))).toBeCloseTo(moeLayers * (experts(512, blocks) - chosen(n)), 9);
    // The padded blocks hold 159 x 512 = 81,408 rows for 16,384 routed copies: about 5x the FLOPs.
    expect(iteration(policy)(prefill(n)).gemm).toBeGreaterThan(iteration(null)(prefill(n)).gemm);
  });

  it("a prefill of fewer than 512 routed copies runs all experts", () => {
    const n = 32; // 256 copies, 2 per expert: past the threshold, under one block
    expect(extra(prefill(n))).toBeCloseTo(moeLayers * (experts(n, moe.experts) - chosen(n)), 9);
  });

  it("a dense model is unaffected", () => {
    const dense = catalog.model("llama3.1-8b");
    expect(iteration(policy, dense)(prefill(2048)).seconds).toBe(iteration(null, dense)(prefill(2048)).seconds);
  });
});
