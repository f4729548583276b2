// Numeric command-line options: one syntax for all (15T, 2.5e12, 2^20; see numberFlag) and one message
// that names the flag and the bad value.
import { UltrasimError } from "../engine/errors.js";
import { numberFlag } from "../engine/flagSyntax.js";

export function positiveNumber(text: string, flag: string, integer = false): number {
  const value = numberFlag(text, flag);
  if (value === undefined || value <= 0 || (integer && !Number.isInteger(value)))
    throw new UltrasimError("INVALID_INPUT", `must be a positive ${integer ? "whole " : ""}number, got '${text}'`, { field: flag });
  return value;
}

/** A whole number ≥ `min`, or undefined when the flag is absent. */
export function wholeNumber(text: string | undefined, flag: string, min = 1): number | undefined {
  if (text === undefined) return undefined;
  const value = numberFlag(text, flag);
  if (value === undefined || !Number.isInteger(value) || value < min)
    throw new UltrasimError("INVALID_INPUT", `must be a whole number ≥ ${min}, got '${text}'`, { field: flag });
  return value;
}
