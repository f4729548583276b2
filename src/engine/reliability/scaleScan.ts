// How goodput falls with scale: the reliability prediction at log-spaced chip counts, each with its
// best checkpoint interval.
import { UltrasimError } from "../errors.js";
import type { Figure } from "../report/figure.js";
import { predictReliability, type ReliabilityInput, type ReliabilityReport } from "./reliability.js";

/** `points` chip counts from `from` to `to`, evenly spaced in log scale, rounded to whole chips. */
export function logSpacedCounts(from: number, to: number, points: number): number[] {
  if (!(Number.isInteger(from) && Number.isInteger(to) && from >= 1 && to >= from))
    throw new UltrasimError("INVALID_INPUT", `a chip range needs whole numbers 1 ≤ A ≤ B, got ${from}..${to}`, { field: "--chips" });
  if (!Number.isInteger(points) || points < 1)
    throw new UltrasimError("INVALID_INPUT", `points must be a whole number ≥ 1, got ${points}`, { field: "--points" });
  if (points === 1 || from === to) return [from];
  const counts: number[] = [];
  for (let i = 0; i < points; i++) {
    const n = Math.round(Math.exp(Math.log(from) + ((Math.log(to) - Math.log(from)) * i) / (points - 1)));
    if (counts[counts.length - 1] !== n) counts.push(n);
  }
  return counts;
}

/** The weak-scaling batch `ultrasim scale` assumes: sequences of 8,192 tokens per step per system. */
const SEQUENCES_PER_SYSTEM = 16;
const SEQ_LEN = 8192;
/** A typical MFU for large dense training, for the step estimate only. */
const ESTIMATED_MFU = 0.4;

/**
 * A training step's seconds when the scan is given none: 6 FLOPs per parameter per token (Kaplan et
 * al. 2020) over 16 sequences of 8,192 tokens per system, at 40% of the chip's dense bf16 peak. Weak
 * scaling keeps the tokens per chip, so the step is the same at every chip count. An estimate, marked so.
 */
export function estimatedStepSeconds(
  parameters: number,
  chipsPerSystem: number,
  peakBf16FlopsPerSecond: number,
): Figure & { name: string } {
  const tokensPerChip = (SEQUENCES_PER_SYSTEM * SEQ_LEN) / chipsPerSystem;
  return {
    name: "training step time",
    value: (6 * parameters * tokensPerChip) / (peakBf16FlopsPerSecond * ESTIMATED_MFU),
    unit: "s",
    from: "estimate",
    note: `6 · parameters · ${SEQUENCES_PER_SYSTEM} sequences of ${SEQ_LEN} tokens per system / (bf16 peak × ${ESTIMATED_MFU * 100}% MFU); --step-seconds to give it`,
  };
}

export interface ScaleScan {
  chipId: string;
  systemId: string;
  parameters: number;
  /** The step time the intervals are held to (at least one step), where known. */
  stepSeconds: Figure | null;
  points: ReliabilityReport[];
}

export function scanScale(base: Omit<ReliabilityInput, "chips">, counts: number[], ids: { chipId: string; systemId: string }): ScaleScan {
  return {
    ...ids,
    parameters: base.parameters,
    stepSeconds: base.stepSecondsFigure ?? null,
    points: counts.map((chips) => predictReliability({ ...base, chips })),
  };
}
