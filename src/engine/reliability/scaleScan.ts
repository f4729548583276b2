// How goodput falls with scale: the reliability prediction at log-spaced chip counts, each with its
// best checkpoint interval.
import { UltrasimError } from "../errors.js";
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

export interface ScaleScan {
  chipId: string;
  systemId: string;
  parameters: number;
  points: ReliabilityReport[];
}

export function scanScale(base: Omit<ReliabilityInput, "chips">, counts: number[], ids: { chipId: string; systemId: string }): ScaleScan {
  return { ...ids, parameters: base.parameters, points: counts.map((chips) => predictReliability({ ...base, chips })) };
}
