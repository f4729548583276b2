// A range flag "A..B" (or one number): the ends, parsed with the same number syntax as other flags.
import { UltrasimError } from "../engine/errors.js";
import { numberFlag } from "./operationsFlags.js";

export function parseRange(text: string, flag: string): { from: number; to: number } {
  const parts = text.split("..");
  if (parts.length > 2 || parts.some((p) => p.trim() === ""))
    throw new UltrasimError("INVALID_INPUT", `expected A..B or one number, got '${text}'`, { field: flag });
  const from = numberFlag(parts[0], flag)!;
  const to = parts.length === 2 ? numberFlag(parts[1], flag)! : from;
  if (!(from >= 1 && to >= from && Number.isInteger(from) && Number.isInteger(to)))
    throw new UltrasimError("INVALID_INPUT", `expected whole numbers 1 ≤ A ≤ B, got '${text}'`, { field: flag });
  return { from, to };
}
