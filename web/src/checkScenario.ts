// Check a scenario against the same schema the CLI checks files and flags against, with the same
// one-line message: the field's path, what was expected, what it got.
import { Value } from "@sinclair/typebox/value";
import { TrainingScenario, UltrasimError } from "../../src/index.ts";

export function checkScenario(raw: unknown): TrainingScenario {
  const error = Value.Errors(TrainingScenario, raw).First();
  if (!error) return raw as TrainingScenario;
  const field = error.path.replace(/^\//, "").replaceAll("/", ".");
  throw new UltrasimError("INVALID_INPUT", `${error.message}, got ${JSON.stringify(error.value)}`, { field: field || undefined });
}
