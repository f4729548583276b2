// Chip counts to plan for: one count, or a scan "A..B" of whole systems, doubling from A to B.
import { checkBound } from "../bounds.js";
import { UltrasimError } from "../errors.js";
import { parseNumber } from "../flagSyntax.js";

export function parseChipCounts(text: string, chipsPerSystem: number, field = "--chips"): number[] {
  const parts = text.split("..");
  if (parts.length > 2 || parts.some((p) => p.trim() === "" || !Number.isFinite(parseNumber(p))))
    throw new UltrasimError("INVALID_INPUT", `expected a chip count or a range like 1024..65536 (or 1k..64k), got '${text}'`, { field });
  if (parts.length === 1) {
    const n = parseNumber(parts[0]!);
    if (!Number.isInteger(n)) throw new UltrasimError("INVALID_INPUT", `must be a whole number of chips, got '${text}'`, { field });
    if (n < 1) throw new UltrasimError("INVALID_INPUT", `must be at least 1, got ${n}`, { field });
    return [checkBound("chips", n, field)];
  }
  const from = parseNumber(parts[0]!);
  const to = parseNumber(parts[1]!);
  if (from < 1 || to < from)
    throw new UltrasimError("INVALID_INPUT", `the range must run upward from at least 1, got ${from}..${to}`, { field });
  checkBound("chips", to, field);
  // Whole systems: a scan point is a multiple of the system's chips (or a divisor of one system).
  const round = (n: number) => (n >= chipsPerSystem ? Math.round(n / chipsPerSystem) * chipsPerSystem : n);
  const counts = new Set<number>();
  for (let n = from; n < to; n *= 2) counts.add(round(n));
  counts.add(round(to));
  return [...counts].filter((n) => n >= 1).sort((a, b) => a - b);
}
