// The shape every validation case must have before it is predicted: a mapping with a kind ultrasim
// knows, whose measured figures are finite numbers. A file that breaks this is not a set of cases, so
// it ends the run (exit 2) naming the file, the line and the case, rather than printing nothing.
import { UltrasimError } from "../engine/errors.js";
import { locate, showValue, type LoadedDocument } from "./loadInput.js";

const KINDS = ["training", "inference"];
/** No measurement is smaller (a nanosecond, a billionth of a token/s); below it the relative error is infinite. */
const SMALLEST_MEASURED = 1e-9;

export function checkCaseShapes(loaded: LoadedDocument, cases: unknown[]): void {
  const refuse = (field: string, message: string) => {
    throw locate(new UltrasimError("INVALID_INPUT", message, { field }), loaded);
  };
  if (cases.length === 0)
    throw new UltrasimError("INVALID_INPUT", "the file holds no cases (an empty array)", { file: loaded.file, line: 1 });
  cases.forEach((c, i) => {
    if (typeof c !== "object" || c === null || Array.isArray(c))
      refuse(String(i), `a case is a mapping of fields (schemaVersion, id, kind, ...), got ${showValue(c)}`);
    const kind = (c as { kind?: unknown }).kind;
    if (kind === undefined) refuse(`${i}.kind`, `missing: say which kind of case this is (${KINDS.join(" or ")})`);
    if (!KINDS.includes(kind as string)) refuse(`${i}.kind`, `must be ${KINDS.join(" or ")}, got ${showValue(kind)}`);
    const measured = (c as { measured?: unknown }).measured;
    if (typeof measured === "object" && measured !== null)
      for (const [key, value] of Object.entries(measured))
        if (typeof value === "number" && !Number.isFinite(value))
          refuse(`${i}.measured.${key}`, `must be a finite number, got ${showValue(value)}`);
        else if (typeof value === "number" && Math.abs(value) < SMALLEST_MEASURED)
          refuse(`${i}.measured.${key}`, `must be at least ${SMALLEST_MEASURED} (the error is relative to it), got ${showValue(value)}`);
  });
}
