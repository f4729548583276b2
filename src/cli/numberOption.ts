// Numeric command-line options: one message that names the flag and the bad value.
import { checkBound, FORCE_FLAG, type BoundName } from "../engine/bounds.js";
import { UltrasimError } from "../engine/errors.js";

/** The one flag that lifts every work bound (data/bounds.json), on every command that has one. */
export const FORCE_OPTION = FORCE_FLAG;
export const FORCE_HELP = "run work past the limits in data/bounds.json (many requests, replicas or Monte Carlo points)";

/** A positive number (whole where `integer`), at most the named bound of data/bounds.json where one is given. */
export function positiveNumber(text: string, flag: string, integer = false, limit?: BoundName): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value)))
    throw new UltrasimError("INVALID_INPUT", `must be a positive ${integer ? "whole " : ""}number, got '${text}'`, { field: flag });
  return limit ? checkBound(limit, value, flag) : value;
}
