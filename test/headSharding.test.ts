// Attention heads over tensor-parallel ranks, against hand counts: a Trainium chip runs several ranks
// (logical NeuronCores), ranks hold whole heads, query heads are padded and key-value heads copied.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { builtinCatalog } from "../src/engine/catalog/builtin.js";
import type { ModelSpec } from "../src/engine/catalog/schema.js";
import { headSharding } from "../src/engine/serve/headSharding.js";
import { kvBytesPerTokenPerLayer, kvCapacity, weightBytesPerChip } from "../src/engine/serve/kvCache.js";

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
