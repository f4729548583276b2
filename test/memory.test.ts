// Activation and optimizer-state memory (src/engine/analytic/memory.ts) against Korthikanti et al. 2022
// Table 2 and Megatron's distributed-optimizer accounting.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { KORTHIKANTI_ACTIVATIONS, layerActivationBytes, stateBytes } from "../src/engine/analytic/memory.js";
import { predictTraining } from "../src/engine/analytic/trainingStep.js";
import { builtinCatalog } from "../src/engine/catalog/builtin.js";
import type { ModelSpec } from "../src/engine/catalog/schema.js";
import type { Layout } from "../src/engine/plan/layout.js";

// GPT-3-style: MHA, GeLU with ffn = 4h, 16 heads of 64.
const gpt: ModelSpec = {
  name: "gpt-test",
  layers: 4,
  hidden: 1024,
  heads: 16,
  kvHeads: 16,
  headDim: null,
  ffnHidden: 4096,
  ffnKind: "gelu",
  vocab: 50000,
  tiedEmbeddings: true,
  moe: null,
  mla: null,
  slidingWindow: null,
};

function layout(overrides: Partial<Layout> = {}): Layout {
  return {
    tp: 1,
    pp: 1,
    dp: 1,
    cp: 1,
    ep: 1,
    etp: 1,
    vpp: 1,
    sequenceParallel: false,
    placement: "tp-cp-dp-pp",
    zero: 1,
    recompute: "none",
    recomputeFraction: 1,
    microBatch: 1,
    microBatches: 1,
    edp: 1,
    ...overrides,
  };
}

const s = 2048;
const h = gpt.hidden;
const a = gpt.heads;

describe("layerActivationBytes reproduces Korthikanti et al. 2022, Table 2", () => {
  it.each([1, 2, 4])("no parallelism, micro-batch %i: sbh(34 + 5as/h)", (b) => {
    const expected = s * b * h * (34 + (5 * a * s) / h);
    expect(layerActivationBytes(gpt, layout({ microBatch: b }), s, 0, KORTHIKANTI_ACTIVATIONS)).toBeCloseTo(expected, 0);
  });

  it.each([2, 4, 8])("tensor parallel t=%i without sequence parallelism: sbh(10 + 24/t + 5as/(ht))", (t) => {
    const b = 2;
    const expected = s * b * h * (10 + 24 / t + (5 * a * s) / (h * t));
    expect(layerActivationBytes(gpt, layout({ tp: t, microBatch: b }), s, 0, KORTHIKANTI_ACTIVATIONS)).toBeCloseTo(expected, 0);
  });

  it.each([2, 4, 8])("tensor + sequence parallel t=%i: sbh/t (34 + 5as/h)", (t) => {
    const b = 2;
    const expected = ((s * b * h) / t) * (34 + (5 * a * s) / h);
    expect(layerActivationBytes(gpt, layout({ tp: t, sequenceParallel: true, microBatch: b }), s, 0, KORTHIKANTI_ACTIVATIONS)).toBeCloseTo(
      expected,
      0,
    );
  });

  it.each([2, 8])("selective recompute + sequence parallel t=%i: 34 sbh/t", (t) => {
    const b = 1;
    const expected = (34 * s * b * h) / t;
    const got = layerActivationBytes(
      gpt,
      layout({ tp: t, sequenceParallel: true, recompute: "selective", microBatch: b }),
      s,
      0,
      KORTHIKANTI_ACTIVATIONS,
    );
    expect(got).toBeCloseTo(expected, 0);
  });

  it.each([1, 2, 8])("full recompute + sequence parallel t=%i keeps only the layer input: 2sbh/t", (t) => {
    const b = 4;
    const expected = (2 * s * b * h) / t;
    const got = layerActivationBytes(
      gpt,
      layout({ tp: t, sequenceParallel: t > 1, recompute: "full", microBatch: b }),
      s,
      0,
      KORTHIKANTI_ACTIVATIONS,
    );
    expect(got).toBeCloseTo(expected, 0);
  });
});

describe("stateBytes: mixed-precision Adam", () => {
  const P = 1e9;
  it.each([
    [1, 1],
    [8, 1],
    [4, 2],
    [64, 1],
  ])("ZeRO-1 with dp %i, cp %i: 6 + 12/d bytes per parameter, d = dp*cp", (dp, cp) => {
    const d = dp * cp;
    const st = stateBytes({ dense: P, expert: 0 }, layout({ dp, cp, zero: 1 }));
    expect(st.weights + st.gradients + st.optimizerStates).toBeCloseTo(P * (6 + 12 / d), 0);
  });
  it("ZeRO-0: 18 bytes per parameter (2 weights + 4 gradients + 12 optimizer)", () => {
    const st = stateBytes({ dense: P, expert: 0 }, layout({ dp: 16, zero: 0 }));
    expect(st.weights).toBe(2 * P);
    expect(st.gradients).toBe(4 * P);
    expect(st.optimizerStates).toBe(12 * P);
  });
  it("ZeRO-3 shards all 18 bytes over d", () => {
    const st = stateBytes({ dense: P, expert: 0 }, layout({ dp: 8, zero: 3 }));
    expect(st.weights + st.gradients + st.optimizerStates).toBeCloseTo((18 * P) / 8, 0);
  });
  it("expert parameters shard over the expert data-parallel degree", () => {
    const st = stateBytes({ dense: 0, expert: P }, layout({ dp: 8, ep: 4, edp: 2, zero: 1 }));
    expect(st.optimizerStates).toBeCloseTo((12 * P) / 2, 0);
  });
});

describe("memory from predictTraining", () => {
  const catalog = builtinCatalog();
  const hw = catalog.hardware("dgx-h100");
  const model = catalog.model("llama3-8b");
  const globalBatch = 64;
  const predict = (microBatch: number) =>
    predictTraining({
      model,
      hw,
      chips: 8,
      run: { seqLen: 2048, globalBatch, microBatch, precision: "bf16" },
      parallelism: { tp: 8, pp: 1, dp: 1, cp: 1, ep: 1, etp: null, vpp: 1, sequenceParallel: true, zero: 1, recompute: "selective" },
    }).memory;

  it("is never negative and activations grow with the micro-batch", () => {
    const divisors = [1, 2, 4, 8, 16, 32, 64];
    fc.assert(
      fc.property(fc.constantFrom(...divisors), fc.constantFrom(...divisors), (x, y) => {
        fc.pre(x !== y);
        const [small, large] = x < y ? [x, y] : [y, x];
        const a = predict(small);
        const b = predict(large);
        for (const m of [a, b]) {
          for (const key of [
            "weights",
            "gradients",
            "optimizerStates",
            "activations",
            "communicationBuffers",
            "allocatorOverhead",
            "runtimeReserved",
            "total",
          ] as const) {
            expect(m[key]).toBeGreaterThanOrEqual(0);
          }
          expect(m.total).toBeCloseTo(
            m.weights + m.gradients + m.optimizerStates + m.activations + m.communicationBuffers + m.allocatorOverhead + m.runtimeReserved,
            0,
          );
        }
        expect(b.activations).toBeGreaterThan(a.activations);
      }),
      { numRuns: 30 },
    );
  });
});
