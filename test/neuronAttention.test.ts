// Flash attention on a NeuronCore, engine by engine (analytic/neuronCore.ts): the stretch over the
// tensor engine's matmul time, derived here by hand from the NKI guides' engine widths and clocks.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { neuronAttentionStretch } from "../src/engine/analytic/neuronCore.js";
import { attentionSeconds } from "../src/engine/analytic/roofline.js";
import { builtinCatalog } from "../src/engine/catalog/builtin.js";
import type { ChipSpec } from "../src/engine/catalog/schema.js";

const catalog = builtinCatalog();
const chip = (id: string): ChipSpec => catalog.chip(id);

// NeuronCore-v2 (Trainium1, Inferentia2): tensor 92 TFLOP/s; vector 128 lanes at 1.12 GHz, scalar 128
// at 1.4 GHz. NeuronCore-v3 (Trainium2): tensor 79 TFLOP/s; vector 256 at 0.96 GHz, scalar 128 at 1.2.
const V2 = { tensor: 92e12, vector: 128 * 1.12e9, scalar: 128 * 1.4e9 };
const V3 = { tensor: 79e12, vector: 256 * 0.96e9, scalar: 128 * 1.2e9 };

describe("flash attention on a NeuronCore", () => {
  it("NeuronCore-v2 forward at head dim 128: the three stream passes over both engines bound it, 1.67x", () => {
    // Per score element: QK^T and PV, 2 x (128 + 128) = 512 FLOPs; P transposed on the tensor engine
    // (2 x 128 FLOP-equivalents); exp on the scalar engine, row max on the vector engine, and the
    // transposed tile's PSUM copy on either: 3 element-passes over 128 x (1.12 + 1.4) G lanes/s.
    const useful = 512 / V2.tensor;
    const tensor = (512 + 256) / V2.tensor;
    const streams = Math.max(1 / V2.vector, 1 / V2.scalar, 3 / (V2.vector + V2.scalar));
    const byHand = Math.max(tensor, streams) / useful;
    expect(byHand).toBeCloseTo(1.671, 3);
    expect(neuronAttentionStretch(chip("trainium1"), "forward", 128)).toBeCloseTo(byHand, 9);
    expect(neuronAttentionStretch(chip("inferentia2"), "forward", 128)).toBeCloseTo(byHand, 9);
  });

  it("NeuronCore-v2 backward at head dim 128: the tensor engine with two transposes bounds it, 1.40x", () => {
    // Five matmuls, 2 x (3 x 128 + 2 x 128) = 1280 FLOPs; P and dS transposed (2 x 256); exp (scalar),
    // dS = P * (dP - D) (vector, two inputs: two passes), two PSUM copies (either).
    const useful = 1280 / V2.tensor;
    const tensor = (1280 + 512) / V2.tensor;
    const streams = Math.max(2 / V2.vector, 1 / V2.scalar, 5 / (V2.vector + V2.scalar));
    expect(tensor).toBeGreaterThan(streams);
    expect(neuronAttentionStretch(chip("trainium1"), "backward", 128)).toBeCloseTo(tensor / useful, 9);
    expect(tensor / useful).toBeCloseTo(1.4, 9);
  });

  it("NeuronCore-v3 transposes by DMA: the scalar engine's exponent just about matches the matmuls", () => {
    const useful = 512 / V3.tensor;
    const streams = Math.max(1 / V3.vector, 1 / V3.scalar, 2 / (V3.vector + V3.scalar));
    expect(neuronAttentionStretch(chip("trainium2"), "forward", 128)).toBeCloseTo(Math.max(useful, streams) / useful, 9);
    expect(neuronAttentionStretch(chip("trainium2"), "backward", 128)).toBeCloseTo(1, 9);
  });

  it("smaller heads are more engine-bound: the passes per score stay, the FLOPs per score halve", () => {
    for (const id of ["trainium1", "trainium2", "trainium3"])
      for (const pass of ["forward", "backward"] as const)
        expect(neuronAttentionStretch(chip(id), pass, 64), `${id} ${pass}`).toBeGreaterThanOrEqual(
          neuronAttentionStretch(chip(id), pass, 128),
        );
  });

  it("wider or faster stream engines never make it slower, a faster tensor engine never makes it less engine-bound", () => {
    fc.assert(
      fc.property(
        fc.constantFrom("trainium1", "trainium2", "trainium3"),
        fc.constantFrom("forward" as const, "backward" as const),
        fc.constantFrom(64, 96, 128, 192),
        fc.double({ min: 1, max: 8, noNaN: true }),
        (id, pass, d, k) => {
          const c = chip(id);
          const nc = c.neuronCore!;
          const scale = (e: typeof nc.engines.vector) => ({
            ...e,
            elementsPerCycle: { ...e.elementsPerCycle, value: e.elementsPerCycle.value * k },
          });
          const wider = {
            ...c,
            neuronCore: { ...nc, engines: { ...nc.engines, vector: scale(nc.engines.vector), scalar: scale(nc.engines.scalar) } },
          };
          const faster = {
            ...c,
            neuronCore: {
              ...nc,
              engines: {
                ...nc.engines,
                tensor: {
                  ...nc.engines.tensor,
                  bf16TflopsPerCore: { ...nc.engines.tensor.bf16TflopsPerCore, value: nc.engines.tensor.bf16TflopsPerCore.value * k },
                },
              },
            },
          };
          const base = neuronAttentionStretch(c, pass, d);
          expect(neuronAttentionStretch(wider, pass, d)).toBeLessThanOrEqual(base + 1e-12);
          expect(neuronAttentionStretch(faster, pass, d)).toBeGreaterThanOrEqual(base - 1e-12);
        },
      ),
    );
  });

  it("is never below 1, and 1 on chips without NeuronCore data", () => {
    for (const c of catalog.entries().chips)
      for (const pass of ["forward", "backward"] as const)
        for (const d of [32, 64, 96, 128, 192, 256]) {
          const s = neuronAttentionStretch(c, pass, d);
          expect(s, `${c.id} ${pass} ${d}`).toBeGreaterThanOrEqual(1);
          if (!c.neuronCore) expect(s, c.id).toBe(1);
        }
  });

  it("attentionSeconds carries it: on a GPU the backward is 2.5x the forward's FLOPs at the same rate, on Trainium1 not", () => {
    const gpu = catalog.hardware("dgx-h100");
    const trn1 = catalog.hardware("trn1.32xlarge");
    const flops = 1e12;
    const ratio = (hw: typeof gpu) => attentionSeconds(hw, 2.5 * flops, 2048, 128, "backward") / attentionSeconds(hw, flops, 2048, 128);
    expect(ratio(gpu)).toBeCloseTo(2.5, 12);
    expect(ratio(trn1)).toBeCloseTo((2.5 * 1.4) / neuronAttentionStretch(trn1.chip, "forward", 128), 9);
  });
});
