// Numeric command-line options: one syntax for all (15T, 2.5e12, 2^20; see numberFlag), one message
// that names the flag and the bad value, and the bounds of data/bounds.json.
import { checkBound, FORCE_FLAG, type BoundName } from "../engine/bounds.js";
import { UltrasimError } from "../engine/errors.js";
import { numberFlag } from "../engine/flagSyntax.js";

/** The one flag that lifts every work bound (data/bounds.json), on every command that has one. */
export const FORCE_OPTION = FORCE_FLAG;
export const FORCE_HELP = "run work past the limits in data/bounds.json (many requests, replicas or Monte Carlo points)";

/** A positive number (whole where `integer`), at most the named bound of data/bounds.json where one is given. */
export function positiveNumber(text: string, flag: string, integer = false, limit?: BoundName): number {
  const value = numberFlag(text, flag);
  if (value === undefined || !Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value)))
    throw new UltrasimError("INVALID_INPUT", `must be a positive ${integer ? "whole " : ""}number, got '${text}'`, { field: flag });
  return limit ? checkBound(limit, value, flag) : value;
}

/** A whole number ≥ `min`, or undefined when the flag is absent. */
export function wholeNumber(text: string | undefined, flag: string, min = 1): number | undefined {
  if (text === undefined) return undefined;
  const value = numberFlag(text, flag);
  if (value === undefined || !Number.isInteger(value) || value < min)
    throw new UltrasimError("INVALID_INPUT", `must be a whole number ≥ ${min}, got '${text}'`, { field: flag });
  return value;
}
