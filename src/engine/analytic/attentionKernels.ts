// The attention kernel a framework runs, against the best its die has. A die's flash-attention
// efficiency (data/calibration.json, `attention`) describes its best fused kernel (cuDNN or
// FlashAttention-3 on Hopper); an older generation of kernel runs at a fraction of that rate, sourced
// per die in data/attention-kernels.json.
import { Type, type Static } from "@sinclair/typebox";
import table from "../../../data/attention-kernels.json" with { type: "json" };
import { checkEntry } from "../catalog/catalog.js";
import type { Hardware } from "../system/hardware.js";

const KernelOnSilicon = Type.Object(
  {
    fraction: Type.Number({ exclusiveMinimum: 0, maximum: 1 }),
    source: Type.String({ minLength: 1 }),
    estimate: Type.Optional(Type.Boolean()),
    note: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);

const AttentionKernelTable = Type.Object(
  {
    note: Type.Optional(Type.String()),
    kernels: Type.Object(
      {
        flash2: Type.Object(
          {
            name: Type.String(),
            source: Type.String({ minLength: 1 }),
            bySilicon: Type.Record(Type.String(), KernelOnSilicon),
          },
          { additionalProperties: false },
        ),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);
type AttentionKernelTable = Static<typeof AttentionKernelTable>;

// Checked on first use, not at import: catalog.ts sits above the analytic models in the import graph.
let checked: AttentionKernelTable | undefined;
function kernelTable(): AttentionKernelTable {
  return (checked ??= checkEntry<AttentionKernelTable>(AttentionKernelTable, table, "data/attention-kernels.json"));
}

/** What the framework's attention kernel reaches on this chip, as a fraction of the die's best kernel. */
export interface AttentionKernelRate {
  fraction: number;
  /** Where the figure comes from; null where the die has none (the kernel is taken at the die's own rate). */
  source: string | null;
  estimate: boolean;
}

const BEST: AttentionKernelRate = { fraction: 1, source: null, estimate: false };

/** The die a chip's kernel figures belong to: its `silicon`, else the chip itself. */
const dieOf = (hw: Hardware): string => hw.chip.silicon ?? hw.chip.id;

export function attentionKernelRate(hw: Hardware): AttentionKernelRate {
  if (hw.software.attentionKernel !== "flash2") return BEST;
  const figure = kernelTable().kernels.flash2.bySilicon[dieOf(hw)];
  return figure ? { fraction: figure.fraction, source: figure.source, estimate: figure.estimate === true } : BEST;
}

/** What a prediction says where its framework runs FlashAttention-2 rather than the die's best attention kernel. */
export function attentionKernelAssumption(hw: Hardware): string[] {
  if (hw.software.attentionKernel !== "flash2") return [];
  const rate = attentionKernelRate(hw);
  const die = dieOf(hw);
  return [
    rate.source === null
      ? `${hw.software.framework} runs FlashAttention-2; data/attention-kernels.json has no figure for it on ${die}, so attention runs at the die's own flash-attention efficiency`
      : `${hw.software.framework} runs FlashAttention-2, ${rate.fraction} of the rate of ${die}'s best attention kernel (${rate.estimate ? "an estimate" : "sourced"}: data/attention-kernels.json)`,
  ];
}
