// Parameter counts and model FLOPs of src/engine/workload/transformer.ts against hand derivations.
import { describe, expect, it } from "vitest";
import type { ModelSpec } from "../src/engine/catalog/schema.js";
import { attentionDims, forwardFlopsPerSequence, meanAttendedKeys, paramCounts } from "../src/engine/workload/transformer.js";

function model(overrides: Partial<ModelSpec> = {}): ModelSpec {
  return {
    name: "test",
    layers: 4,
    hidden: 256,
    heads: 4,
    kvHeads: 4,
    headDim: null,
    ffnHidden: 1024,
    ffnKind: "gelu",
    vocab: 1000,
    tiedEmbeddings: false,
    moe: null,
    mla: null,
    slidingWindow: null,
    ...overrides,
  };
}

describe("paramCounts", () => {
  it("counts a Llama-3-8B-shaped model at its published ~8.03e9 parameters", () => {
    const llama = model({ layers: 32, hidden: 4096, heads: 32, kvHeads: 8, ffnHidden: 14336, ffnKind: "swiglu", vocab: 128256 });
    const h = 4096;
    const kv = 8 * (4096 / 32); // 1024: kvHeads * headDim
    const attention = h * h + 2 * h * kv + h * h; // q, k, v, o
    const mlp = 3 * h * 14336; // gate, up, down
    const norms = 2 * h;
    const embedding = 128256 * h;
    // 32 layers + input embedding + untied output projection + final norm
    const expected = 32 * (attention + mlp + norms) + 2 * embedding + h;
    expect(expected).toBe(8_030_261_248); // the hand formula itself gives Meta's "8.03B"
    const p = paramCounts(llama);
    expect(p.total).toBe(expected);
    expect(p.active).toBe(expected);
    expect(p.embedding).toBe(embedding);
    expect(p.output).toBe(embedding);
  });

  it("tied embeddings count the vocabulary matrix once", () => {
    const untied = paramCounts(model());
    const tied = paramCounts(model({ tiedEmbeddings: true }));
    expect(untied.total - tied.total).toBe(1000 * 256);
    expect(tied.output).toBe(0);
  });

  it("GQA shrinks only the K and V projections", () => {
    const h = 256;
    const d = h / 4; // head dim 64
    const mha = attentionDims(model({ kvHeads: 4 }));
    const gqa = attentionDims(model({ kvHeads: 1 }));
    expect(mha.params).toBe(4 * h * h); // q, k, v, o all h x h
    // K and V each lose (4 - 1) heads of width d
    expect(mha.params - gqa.params).toBe(2 * h * (4 - 1) * d);
    expect(gqa.kvDim).toBe(d);
    expect(gqa.qDim).toBe(h);
    expect(paramCounts(model({ kvHeads: 4 })).total - paramCounts(model({ kvHeads: 1 })).total).toBe(4 * 2 * h * 3 * d);
  });

  it("MoE: active counts top-k of the routed experts, total counts all of them (Mixtral 8x7B shape)", () => {
    const h = 4096;
    const f = 14336;
    const mixtral = model({
      layers: 32,
      hidden: h,
      heads: 32,
      kvHeads: 8,
      ffnHidden: f,
      ffnKind: "swiglu",
      vocab: 32000,
      moe: { experts: 8, topK: 2, expertFfnHidden: f, sharedExperts: 0, sharedExpertFfnHidden: null, denseLayers: 0 },
    });
    const attention = 2 * h * h + 2 * h * 1024;
    const expert = 3 * h * f;
    const router = h * 8;
    const norms = 2 * h;
    const outside = 2 * 32000 * h + h;
    const total = 32 * (attention + router + 8 * expert + norms) + outside;
    const active = 32 * (attention + router + 2 * expert + norms) + outside;
    const p = paramCounts(mixtral);
    expect(p.total).toBe(total);
    expect(p.active).toBe(active);
    expect(p.active).toBeLessThan(p.total);
    // Mistral publishes 46.7B total and 12.9B active
    expect(p.total / 1e9).toBeCloseTo(46.7, 1);
    expect(p.active / 1e9).toBeCloseTo(12.9, 1);
  });

  it("MoE with shared experts and leading dense layers", () => {
    const h = 64;
    const m = model({
      layers: 3,
      hidden: h,
      heads: 4,
      kvHeads: 4,
      ffnHidden: 256,
      ffnKind: "swiglu",
      vocab: 100,
      moe: { experts: 16, topK: 4, expertFfnHidden: 32, sharedExperts: 2, sharedExpertFfnHidden: 48, denseLayers: 1 },
    });
    const attention = 4 * h * h;
    const norms = 2 * h;
    const dense = attention + 3 * h * 256 + norms;
    const moeCommon = attention + 2 * 3 * h * 48 + h * 16 + norms; // shared experts + router
    const outside = 2 * 100 * h + h;
    const p = paramCounts(m);
    expect(p.total).toBe(outside + dense + 2 * (moeCommon + 16 * 3 * h * 32));
    expect(p.active).toBe(outside + dense + 2 * (moeCommon + 4 * 3 * h * 32));
  });
});

describe("attentionDims for MLA", () => {
  it("matches DeepSeek-V3's projections", () => {
    const h = 7168;
    const dims = attentionDims(
      model({
        hidden: h,
        heads: 128,
        kvHeads: 128,
        headDim: 128,
        mla: { qLoraRank: 1536, kvLoraRank: 512, qkNopeHeadDim: 128, qkRopeHeadDim: 64, vHeadDim: 128 },
      }),
    );
    expect(dims.qkHeadDim).toBe(128 + 64);
    expect(dims.vHeadDim).toBe(128);
    expect(dims.qDim).toBe(128 * 192);
    expect(dims.kvDim).toBe(512 + 64); // compressed latent plus the shared rope key
    const q = h * 1536 + 1536 * 128 * 192; // down then up
    const kv = h * (512 + 64) + 512 * 128 * (128 + 128); // down (with rope key), up to K-nope and V
    const out = 128 * 128 * h;
    expect(dims.params).toBe(q + kv + out);
  });

  it("without a q LoRA the query is one h x heads*qkHeadDim matrix", () => {
    const dims = attentionDims(
      model({ hidden: 64, heads: 2, mla: { qLoraRank: null, kvLoraRank: 16, qkNopeHeadDim: 8, qkRopeHeadDim: 4, vHeadDim: 8 } }),
    );
    expect(dims.params).toBe(64 * 2 * 12 + 64 * 20 + 16 * 2 * 16 + 2 * 8 * 64);
  });
});

describe("forwardFlopsPerSequence", () => {
  it("training FLOPs of a dense GPT are 6ND plus the causal attention term", () => {
    const L = 4,
      h = 256,
      V = 1000,
      s = 512,
      batch = 8;
    const m = model({ layers: L, hidden: h, vocab: V });
    // Matmul parameters a token passes through: per layer q,k,v,o (4h^2) and the GeLU MLP (2 * h * 4h), plus the output projection.
    const N = L * (4 * h * h + 2 * h * 4 * h) + V * h;
    const D = batch * s;
    // Causal attention: each query attends (s+1)/2 keys on average; QK^T and AV each cost 2*h FLOPs per
    // query-key pair, forward. Training is 3x forward: 3 * L * D * 4h * (s+1)/2 = 6 * L * D * h * (s+1).
    const attention = 6 * L * D * h * (s + 1);
    const expected = 6 * N * D + attention;
    expect(Math.abs(3 * forwardFlopsPerSequence(m, s) * batch - expected) / expected).toBeLessThan(1e-12);
  });

  it("tying the embeddings does not change the FLOPs (the output projection still runs)", () => {
    expect(forwardFlopsPerSequence(model({ tiedEmbeddings: true }), 128)).toBe(forwardFlopsPerSequence(model(), 128));
  });

  it("MoE FLOPs follow the active parameters, not the total", () => {
    const moe = { experts: 8, topK: 2, expertFfnHidden: 1024, sharedExperts: 0, sharedExpertFfnHidden: null, denseLayers: 0 };
    const sparse = model({ moe });
    const denseTop2 = model({ moe: { ...moe, experts: 2 } });
    // Same active experts per token; the routers differ by h*(8-2) params per layer: 2 FLOPs each per token.
    const s = 64;
    expect(forwardFlopsPerSequence(sparse, s) - forwardFlopsPerSequence(denseTop2, s)).toBeCloseTo(s * 2 * 4 * 256 * 6, 0);
  });
});

describe("meanAttendedKeys", () => {
  it("is (s+1)/2 for full causal attention", () => {
    expect(meanAttendedKeys(model(), 8)).toBe(4.5);
  });
  it("caps keys at the window: s=8, w=3 attends 1,2,3,3,3,3,3,3 = 21 keys over 8 queries", () => {
    expect(meanAttendedKeys(model({ slidingWindow: 3, slidingWindowLayerFraction: 1 }), 8)).toBeCloseTo(21 / 8, 12);
    // half the layers windowed by default
    expect(meanAttendedKeys(model({ slidingWindow: 3 }), 8)).toBeCloseTo(0.5 * (21 / 8) + 0.5 * 4.5, 12);
  });
});
