// Numeric command-line options: one message that names the flag and the bad value.
import { UltrasimError } from "../engine/errors.js";

export function positiveNumber(text: string, flag: string, integer = false): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value)))
    throw new UltrasimError("INVALID_INPUT", `must be a positive ${integer ? "whole " : ""}number, got '${text}'`, { field: flag });
  return value;
}
