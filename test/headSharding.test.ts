// Attention heads over tensor-parallel ranks, against hand counts: a Trainium chip runs several ranks
// (logical NeuronCores), ranks hold whole heads, query heads are padded and key-value heads copied.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { builtinCatalog } from "../src/engine/catalog/builtin.js";
import type { ModelSpec } from "../src/engine/catalog/schema.js";
import { headSharding } from "../src/engine/workload/headSharding.js";
import { kvBytesPerTokenPerLayer, kvCapacity, weightBytesPerChip } from "../src/engine/serve/kvCache.js";
import { layerCost, type StepContext } from "../src/engine/analytic/layerCost.js";
import { resolveLayout } from "../src/engine/plan/layout.js";
import { meanAttendedKeys } from "../src/engine/workload/transformer.js";
import { PLAIN_LAYOUT } from "../src/node/trainingLayout.js";

const catalog = builtinCatalog();
const llama70b = catalog.model("llama3-70b"); // 64 query heads, 8 key-value heads, head dim 128, hidden 8192
const llama13b = catalog.model("llama2-13b"); // 40 heads (no GQA), head dim 128, hidden 5120

describe("head sharding", () => {
  it("Llama 3 70B on a trn1.32xlarge (16 chips x 2 cores = 32 ranks): 2 query heads per rank, the 8 KV heads copied to 32", () => {
    const s = headSharding(llama70b, 16, 2);
    expect(s.ranks).toBe(32);
    expect(s.queryHeadsPerChip).toBe(4); // 64 / 32 = 2 per rank, 2 ranks per chip
    expect(s.kvHeadsPerChip).toBe(2); // one copy per rank
    // 24 extra KV heads, each with its K and V slices: 8192 x 24 x (128 + 128) parameters a layer.
    expect(s.extraParamsPerLayer).toBe(8192 * 24 * 256);
  });

  it("Llama 3 70B on an inf2.48xlarge (12 chips x 2 cores = 24 ranks): 64 query heads padded to 72", () => {
    const s = headSharding(llama70b, 12, 2);
    expect(s.queryHeadsPerChip).toBe(6); // ceil(64 / 24) = 3 per rank
    expect(s.kvHeadsPerChip).toBe(2);
    // 8 padded query heads (Q and O slices) and 16 copied KV heads (K and V slices), 256 each per hidden unit.
    expect(s.extraParamsPerLayer).toBe(8192 * (8 + 16) * 256);
  });

  it("Llama 2 13B on an inf2.48xlarge: 40 heads (no GQA) padded to 48, queries and keys alike", () => {
    const s = headSharding(llama13b, 12, 2);
    expect(s.queryHeadsPerChip).toBe(4);
    expect(s.kvHeadsPerChip).toBe(4);
    expect(s.extraParamsPerLayer).toBe(5120 * (8 + 8) * 256);
  });

  it("a GPU with heads that divide evenly adds nothing", () => {
    const s = headSharding(llama70b, 8);
    expect(s).toEqual({ ranks: 8, queryHeadsPerChip: 8, kvHeadsPerChip: 1, extraParamsPerLayer: 0 });
  });

  it("the KV cache and the weights grow by exactly the copies", () => {
    // bf16: 2 heads x (K + V) x 128 x 2 bytes on a trn1 chip; one head's worth on a GPU at tp 16.
    expect(kvBytesPerTokenPerLayer(llama70b, "bf16", 16, 2)).toBe(1024);
    expect(kvBytesPerTokenPerLayer(llama70b, "bf16", 16, 1)).toBe(512);
    expect(kvBytesPerTokenPerLayer(llama70b, "bf16", 8, 1)).toBe(512);
    // 32 ranks hold 24 copied KV heads, 16 one-rank chips 8: 16 more heads' K and V slices, 80 layers, bf16, over 16 chips.
    const extraBytes = weightBytesPerChip(llama70b, "bf16", 16, 1, 2) - weightBytesPerChip(llama70b, "bf16", 16, 1, 1);
    expect(extraBytes).toBe((8192 * 16 * 256 * 80 * 2) / 16);
    expect(weightBytesPerChip(llama70b, "bf16", 8, 1, 1)).toBe(weightBytesPerChip(llama70b, "bf16", 8, 1));
  });

  it("a Trainium2 chip (4 ranks) caches a quarter of the GQA tokens a one-rank chip would, less what the copied weights take", () => {
    const hw = catalog.hardware("trn2.48xlarge");
    const options = {
      precision: "bf16",
      kvPrecision: "bf16",
      tp: 16,
      pp: 1,
      maxTokensPerIteration: 8192,
      maxBatch: 8,
      memoryUtilization: 0.9,
      blockTokens: 16,
    } as const;
    const one = kvCapacity(llama70b, hw, { ...options, logicalCoresPerChip: 1 });
    const four = kvCapacity(llama70b, hw, { ...options, logicalCoresPerChip: 4 });
    // 64 ranks: each chip keeps 4 KV heads (1 per rank) where a one-rank chip keeps 1 (of 8 over 16).
    expect(four.kvBytesPerChip).toBeLessThan(one.kvBytesPerChip);
    expect(four.tokens / one.tokens).toBeCloseTo((0.25 * four.kvBytesPerChip) / one.kvBytesPerChip, 2);
  });

  it("never holds less than an even split, and pads by less than one head per rank", () => {
    const model = (heads: number, group: number): ModelSpec => ({ ...llama70b, heads: heads * group, kvHeads: heads, headDim: 128 });
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 16 }),
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 1, max: 64 }),
        fc.integer({ min: 1, max: 8 }),
        (kv, group, tp, cores) => {
          const m = model(kv, group);
          const s = headSharding(m, tp, cores);
          expect(s.queryHeadsPerChip * tp).toBeGreaterThanOrEqual(m.heads);
          expect(s.queryHeadsPerChip * tp).toBeLessThan(m.heads + s.ranks);
          expect(s.kvHeadsPerChip * tp).toBeGreaterThanOrEqual(m.kvHeads);
          expect(s.kvHeadsPerChip * tp).toBeLessThan(Math.max(m.kvHeads, s.ranks) + s.ranks);
          expect(s.extraParamsPerLayer).toBeGreaterThanOrEqual(0);
        },
      ),
    );
  });
});

describe("head sharding in training (NeuronX Distributed's GQAQKVColumnParallelLinear)", () => {
  // Llama 3 70B on 16 Trainium1 chips at tp 16 (32 NeuronCore ranks): each rank holds 2 query heads
  // and one copy of a KV head, so a chip's QKV projection has 4 x 128 + 2 x (128 + 128) = 1024 output
  // columns, where an even split over chips would give (8192 + 2 x 1024) / 16 = 640.
  const trn1 = catalog.hardware("trn1.32xlarge", {}, undefined, "neuronx-distributed");
  const run = { seqLen: 4096, globalBatch: 64, microBatch: 1, precision: "bf16" as const };
  const par = { ...PLAIN_LAYOUT, tp: 16, dp: 4, vpp: 1, zero: 1 as const, recompute: "none" as const };
  const ctx = (model: ModelSpec): StepContext => ({
    model,
    hw: trn1,
    layout: resolveLayout(model, run, par, 64).layout,
    seqLen: run.seqLen,
    precision: run.precision,
  });
  it("the QKV projection computes the copied KV heads: its FLOPs are the hand count's", () => {
    const tokens = 4096;
    const h = 8192;
    const f = llama70b.ffnHidden;
    // Forward GEMMs of one layer on one chip: QKV (1024 columns), output projection (4 heads x 128 in),
    // SwiGLU up and gate (2 f / 16), down (f / 16).
    const forward = 2 * tokens * h * (1024 + 512 + (3 * f) / 16);
    const cost = layerCost(ctx(llama70b), 0);
    // hardwareFlops = 3 x forward GEMMs + 3.5 x attention; attention: 4 query heads per chip.
    const attention = 2 * tokens * meanAttendedKeys(llama70b, 4096) * 4 * (128 + 128);
    expect(cost.hardwareFlops).toBeCloseTo(3 * forward + 3.5 * attention, -6);
  });
  it("a chip of one rank keeps one KV copy where the two-core chip keeps two: the difference is those copies' GEMM FLOPs", () => {
    // One rank per chip: 16 ranks, 8 KV heads, so still one copy per rank: 4 x 128 + 1 x 256 = 768 columns.
    const oneRank = { ...trn1, chip: { ...trn1.chip, logicalCoresPerChip: undefined } };
    const two = layerCost(ctx(llama70b), 0).hardwareFlops;
    const one = layerCost({ ...ctx(llama70b), hw: oneRank }, 0).hardwareFlops;
    expect(two - one).toBeCloseTo(3 * 2 * 4096 * 8192 * (1024 - 768), -6);
  });
});
