// Efficiencies of inference serving, per chip: what the training fit does not cover. Decode streams
// the weights and the KV cache through HBM at batch sizes training never runs, and an inference
// iteration pays fixed costs per layer (kernel launches) that a training step hides. The host's cost
// per iteration (scheduling, sampling) belongs to the serving engine (engines.ts), not the chip.
// Fitted per chip on the open inference cases (scripts/fit-serving-efficiency.ts), never per case;
// data/serving-efficiency.json holds each fit with what it was fitted on.
import { Type, type Static } from "@sinclair/typebox";
import servingEfficiencies from "../../../data/serving-efficiency.json" with { type: "json" };
import type { Catalog } from "../catalog/catalog.js";
import { EfficiencySpec } from "../system/efficiency.js";

export const ServingEfficiencySpec = Type.Object(
  {
    /** Fraction of HBM bandwidth reached streaming weights and KV cache (decode, small GEMMs). */
    memory: Type.Number({ exclusiveMinimum: 0, maximum: 1 }),
    /** Multiplier on the chip's training GEMM and attention efficiencies for inference kernels. */
    compute: Type.Number({ exclusiveMinimum: 0, maximum: 2 }),
    /** Fixed time per layer per iteration: kernel launches and synchronisation not hidden by graphs. */
    layerOverheadUs: Type.Number({ minimum: 0 }),
  },
  { additionalProperties: false },
);
export type ServingEfficiency = Static<typeof ServingEfficiencySpec>;

/**
 * The training efficiencies (kernels, collectives) a serving fit was made against: `compute`
 * multiplies its GEMM and attention figures, and its collective efficiencies carry the TP traffic. A
 * later refit of the training calibration then does not silently move what the serving fit found;
 * refitting serving (scripts/fit-serving-efficiency.ts) records the calibration of the day.
 */
export const KernelBasis = Type.Object(
  { efficiency: EfficiencySpec, source: Type.String({ minLength: 1 }) },
  { additionalProperties: false },
);
export type KernelBasis = Static<typeof KernelBasis>;

export const ServingEfficiencyEntry = Type.Object(
  {
    chip: Type.String(),
    efficiency: ServingEfficiencySpec,
    /** The chip's training efficiencies when this entry was fitted (applies to this chip only). */
    kernelBasis: Type.Optional(KernelBasis),
    provenance: Type.String(),
    note: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);
export type ServingEfficiencyEntry = Static<typeof ServingEfficiencyEntry>;

/** Round figures for a chip with no serving fit of its own and none to borrow: marked "prior". */
export const PRIOR_SERVING_EFFICIENCY: ServingEfficiency = { memory: 0.8, compute: 1, layerOverheadUs: 20 };

export const BUILTIN_SERVING_EFFICIENCIES = servingEfficiencies as ServingEfficiencyEntry[];

/**
 * A chip's serving efficiencies: its own fit, else that of the chip it borrows from
 * (servingEfficiencyFrom, else efficiencyFrom; followed until a chip with a fit), else the prior.
 */
export function servingEfficiency(
  catalog: Catalog,
  chipId: string,
  entries: ServingEfficiencyEntry[] = BUILTIN_SERVING_EFFICIENCIES,
): { efficiency: ServingEfficiency; provenance: string; kernelBasis?: KernelBasis } {
  const own = entries.find((e) => e.chip === chipId);
  if (own) return { efficiency: own.efficiency, provenance: `serving: ${own.provenance} (${chipId})`, kernelBasis: own.kernelBasis };
  const chips = catalog.listChips();
  const seen = new Set([chipId]);
  for (let id = chipId; ;) {
    const chip = chips.find((c) => c.id === id);
    const from = chip?.servingEfficiencyFrom ?? chip?.efficiencyFrom;
    if (!from || seen.has(from)) break;
    seen.add(from);
    const borrowed = entries.find((e) => e.chip === from);
    if (borrowed)
      return {
        efficiency: borrowed.efficiency,
        provenance: `serving: borrowed from ${from} (${borrowed.provenance}): no inference cases for ${chipId}`,
      };
    id = from;
  }
  return { efficiency: PRIOR_SERVING_EFFICIENCY, provenance: `serving: prior: no fitted serving efficiency for ${chipId}` };
}
