// predictTraining (src/engine/analytic/trainingStep.ts) on built-in catalog entries: accounting
// identities, monotonicity in hardware, out-of-memory results, and the layout checks of resolveLayout.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { chunkLayout, predictTraining, type TrainingInput } from "../src/engine/analytic/trainingStep.js";
import { builtinCatalog } from "../src/engine/catalog/builtin.js";
import type { ParallelismSpec, RunSpec } from "../src/engine/catalog/schema.js";
import { UltrasimError, type ErrorCode } from "../src/engine/errors.js";
import { resolveLayout } from "../src/engine/plan/layout.js";
import { buildHardware, type Hardware } from "../src/engine/system/hardware.js";
import { forwardFlopsPerSequence } from "../src/engine/workload/transformer.js";

const catalog = builtinCatalog();
const par = (p: Partial<ParallelismSpec>): ParallelismSpec => ({
  tp: 1,
  pp: 1,
  dp: 1,
  cp: 1,
  ep: 1,
  etp: null,
  vpp: 1,
  sequenceParallel: false,
  zero: 1,
  recompute: "selective",
  ...p,
});

interface Scenario {
  name: string;
  systemId: string;
  input: Omit<TrainingInput, "hw">;
}
const scenarios: Scenario[] = [
  {
    name: "llama3-70b, 64 H100, tp8 pp4 vpp5 dp2",
    systemId: "dgx-h100",
    input: {
      model: catalog.model("llama3-70b"),
      chips: 64,
      run: { seqLen: 8192, globalBatch: 128, microBatch: 1, precision: "bf16" },
      parallelism: par({ tp: 8, pp: 4, dp: 2, vpp: 5, sequenceParallel: true }),
    },
  },
  {
    name: "mixtral-8x7b, 32 H100, tp2 pp2 dp8 ep8 fp8",
    systemId: "dgx-h100",
    input: {
      model: catalog.model("mixtral-8x7b"),
      chips: 32,
      run: { seqLen: 4096, globalBatch: 64, microBatch: 2, precision: "fp8" },
      parallelism: par({ tp: 2, pp: 2, dp: 8, ep: 8, etp: 1, sequenceParallel: true }),
    },
  },
  {
    name: "llama3-8b, 16 H100, tp2 dp4 cp2 ZeRO-3 full recompute",
    systemId: "dgx-h100",
    input: {
      model: catalog.model("llama3-8b"),
      chips: 16,
      run: { seqLen: 16384, globalBatch: 32, microBatch: 1, precision: "bf16" },
      parallelism: par({ tp: 2, dp: 4, cp: 2, zero: 3, recompute: "full", sequenceParallel: true }),
    },
  },
];

const predict = (sc: Scenario, hw: Hardware = catalog.hardware(sc.systemId)) => predictTraining({ ...sc.input, hw });

/** The same hardware with every peak TFLOP/s figure of the chip multiplied by k. */
function fasterChip(hw: Hardware, k: number): Hardware {
  const chip = structuredClone(hw.chip);
  for (const figure of Object.values(chip.peakTflops)) if (figure) figure.value *= k;
  return buildHardware(chip, hw.system, hw.efficiency, hw.efficiencyProvenance, hw.software);
}

describe.each(scenarios)("$name", (sc) => {
  const p = predict(sc);
  it("the breakdown sums to the step time", () => {
    const sum = Object.values(p.breakdown).reduce((a, b) => a + b, 0);
    expect(Math.abs(sum - p.stepSeconds) / p.stepSeconds).toBeLessThan(1e-9);
    for (const part of Object.values(p.breakdown)) expect(part).toBeGreaterThanOrEqual(-1e-12);
  });
  it("0 < MFU <= 1, MFU as defined from the model FLOPs", () => {
    expect(p.mfu).toBeGreaterThan(0);
    expect(p.mfu).toBeLessThanOrEqual(1);
    expect(p.hfu).toBeLessThanOrEqual(1);
    // MFU by definition: 3 * forward FLOPs per sequence * batch over step * chips * peak
    const { model, run, chips } = sc.input;
    const expected = (3 * run.globalBatch * forwardFlopsPerSequence(model, run.seqLen)) / (p.stepSeconds * chips * p.peakFlopsPerChip);
    expect(p.mfu).toBeCloseTo(expected, 12);
  });
  it("tokens per second = globalBatch * seqLen / step", () => {
    const { run, chips } = sc.input;
    expect(p.tokensPerSecond).toBeCloseTo((run.globalBatch * run.seqLen) / p.stepSeconds, 6);
    expect(p.tokensPerSecondPerChip).toBeCloseTo((run.globalBatch * run.seqLen) / p.stepSeconds / chips, 6);
  });
  it("micro-batches per data-parallel rank are globalBatch / (dp * microBatch)", () => {
    const { run, parallelism } = sc.input;
    expect(p.layout.microBatches).toBe(run.globalBatch / (parallelism.dp * run.microBatch!));
  });
  it("more FLOP/s is never slower", () => {
    const hw = catalog.hardware(sc.systemId);
    // A case this property found: ZeRO-3's gathers hid only behind the neighbouring layer's compute,
    // not its exposed TP time, so at 7-12x the FLOP/s faster compute exposed more than it saved.
    expect(predict(sc, fasterChip(hw, 7.99720312899641)).stepSeconds).toBeLessThanOrEqual(
      predict(sc, fasterChip(hw, 6.974474755965092)).stepSeconds * (1 + 1e-9),
    );
    fc.assert(
      fc.property(fc.double({ min: 1, max: 8, noNaN: true }), fc.double({ min: 1, max: 8, noNaN: true }), (k1, k2) => {
        const [lo, hi] = k1 <= k2 ? [k1, k2] : [k2, k1];
        expect(predict(sc, fasterChip(hw, hi)).stepSeconds).toBeLessThanOrEqual(predict(sc, fasterChip(hw, lo)).stepSeconds * (1 + 1e-9));
      }),
      { numRuns: 15 },
    );
  });
  it("more scale-out bandwidth is never slower", () => {
    fc.assert(
      fc.property(fc.double({ min: 10, max: 3200, noNaN: true }), fc.double({ min: 10, max: 3200, noNaN: true }), (g1, g2) => {
        const [lo, hi] = g1 <= g2 ? [g1, g2] : [g2, g1];
        const slow = predict(sc, catalog.hardware(sc.systemId, {}, lo)).stepSeconds;
        expect(predict(sc, catalog.hardware(sc.systemId, {}, hi)).stepSeconds).toBeLessThanOrEqual(slow * (1 + 1e-9));
      }),
      { numRuns: 15 },
    );
  });
});

describe("out of memory", () => {
  it("is a result with fits false and negative free bytes, not a throw", () => {
    // 70B parameters at 18 bytes each (ZeRO-0) over tp 8: ~158 GB per chip, on 80 GB H100s.
    const p = predictTraining({
      model: catalog.model("llama3-70b"),
      hw: catalog.hardware("dgx-h100"),
      chips: 8,
      run: { seqLen: 8192, globalBatch: 8, microBatch: 1, precision: "bf16" },
      parallelism: par({ tp: 8, zero: 0, recompute: "none", sequenceParallel: true }),
    });
    expect(p.memory.fits).toBe(false);
    expect(p.memory.freeBytes).toBeLessThan(0);
    expect(p.memory.freeBytes).toBeCloseTo(p.memory.capacity - p.memory.total, 0);
    expect(p.memory.weights + p.memory.gradients + p.memory.optimizerStates).toBeGreaterThan((18 * 70e9) / 8);
    expect(p.stepSeconds).toBeGreaterThan(0);
  });
});

describe("resolveLayout rejects impossible layouts", () => {
  const model = catalog.model("llama3-8b");
  const run: RunSpec = { seqLen: 4096, globalBatch: 64, microBatch: 1, precision: "bf16" };
  const codeOf = (f: () => unknown): ErrorCode | undefined => {
    try {
      f();
    } catch (e) {
      expect(e).toBeInstanceOf(UltrasimError);
      return (e as UltrasimError).code;
    }
    return undefined;
  };
  it("accepts a consistent layout", () => {
    expect(resolveLayout(model, run, par({ tp: 2, pp: 2, dp: 4 }), 16).layout.microBatches).toBe(16);
  });
  it("DEGREES_MISMATCH when tp*pp*dp*cp != chips", () => {
    expect(codeOf(() => resolveLayout(model, run, par({ tp: 2, pp: 2, dp: 2 }), 16))).toBe("DEGREES_MISMATCH");
    expect(codeOf(() => resolveLayout(model, run, par({ tp: 2, pp: 2, dp: 2, cp: 4 }), 16))).toBe("DEGREES_MISMATCH");
  });
  it("BATCH_NOT_DIVISIBLE when globalBatch is not a multiple of dp*microBatch", () => {
    expect(codeOf(() => resolveLayout(model, { ...run, globalBatch: 66 }, par({ dp: 4, tp: 4 }), 16))).toBe("BATCH_NOT_DIVISIBLE");
    expect(codeOf(() => resolveLayout(model, { ...run, microBatch: 3 }, par({ dp: 4, tp: 4 }), 16))).toBe("BATCH_NOT_DIVISIBLE");
  });
  it.each([
    ["tp", 0],
    ["tp", -2],
    ["tp", 1.5],
    ["pp", 0],
    ["dp", -1],
    ["cp", 0.5],
    ["ep", 0],
    ["vpp", 2.5],
  ] as const)("INVALID_DEGREE for %s = %s", (field, value) => {
    expect(codeOf(() => resolveLayout(model, run, par({ tp: 4, dp: 4, [field]: value }), 16))).toBe("INVALID_DEGREE");
  });
  it("INVALID_DEGREE for a zero micro-batch or chip count", () => {
    expect(codeOf(() => resolveLayout(model, { ...run, microBatch: 0 }, par({ tp: 4, dp: 4 }), 16))).toBe("INVALID_DEGREE");
    expect(codeOf(() => resolveLayout(model, run, par({}), 0))).toBe("INVALID_DEGREE");
  });
});

describe("chunk layouts (the layers of each virtual stage)", () => {
  it("are kept apart for models whose packed cache keys would coincide: 1,024 dense layers after 1,025 all-MoE", () => {
    const deepseek = catalog.model("deepseek-v3");
    const moe = { ...deepseek, layers: 1025, moe: { ...deepseek.moe!, denseLayers: 0 } };
    const dense = { ...catalog.model("llama3-8b"), layers: 1024 };
    // layers * 1024 + denseLayers is 1,049,600 for both.
    expect(chunkLayout(moe, 1, 1).kinds).toEqual([{ dense: 0, moe: 1025, embedding: true, output: true }]);
    expect(chunkLayout(dense, 1, 1).kinds).toEqual([{ dense: 1024, moe: 0, embedding: true, output: true }]);
  });
});
