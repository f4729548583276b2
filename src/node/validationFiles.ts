// Validation case files as `validate` reads them: several files at once, each case checked against
// its schema (a bad case is a failed result naming its file and line, not the end of the run), and
// the software each group ran on from the groups.json beside the file, where there is one.
import { existsSync } from "node:fs";
import { Type, type Static } from "@sinclair/typebox";
import caseFrameworksFile from "../../data/validation/case-frameworks.json" with { type: "json" };
import { checkEntry } from "../engine/catalog/catalog.js";
import { dirname, join } from "node:path";
import { builtinCatalog } from "../engine/catalog/builtin.js";
import { TrainingCase } from "../engine/catalog/scenario.js";
import { frameworkOfGroup, type FrameworkSpec } from "../engine/calibrate/framework.js";
import { UltrasimError } from "../engine/errors.js";
import { InferenceCase } from "../engine/validate/inference.js";
import type { CaseResult } from "../engine/validate/validation.js";
import { checkSchema, lineOf, readInputFile, type LoadedDocument } from "./loadInput.js";
import { readCasesFile } from "./trainingScenario.js";
import { checkCaseShapes } from "./validationCases.js";

export interface ValidationInput {
  training: TrainingCase[];
  /** Cases that failed their schema check, as failed results. */
  invalid: CaseResult[];
  inference: InferenceCase[];
  /**
   * The training framework of a case: its own `framework`, else the release data/validation/
   * case-frameworks.json reads from what the case states, else its group's in groups.json.
   */
  frameworkOf: (c: TrainingCase) => string | undefined;
  /** The serving engine of an inference case where it names none (v1): its group's in groups.json. */
  engineOf: (c: InferenceCase) => string | undefined;
  /** Where a training case is, for messages: "file:line". */
  placeOf: (c: TrainingCase) => string;
}

const CaseFrameworks = Type.Object(
  {
    note: Type.Optional(Type.String()),
    cases: Type.Array(
      Type.Object(
        {
          case: Type.String({ minLength: 1 }),
          framework: Type.String({ minLength: 1 }),
          source: Type.String({ minLength: 1 }),
          reason: Type.String({ minLength: 1 }),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

/** The framework release each listed shared case ran (data/validation/case-frameworks.json). */
export function caseFrameworks(): Map<string, string> {
  const file = checkEntry<Static<typeof CaseFrameworks>>(CaseFrameworks, caseFrameworksFile, "data/validation/case-frameworks.json");
  return new Map(file.cases.map((e) => [e.case, e.framework]));
}

/**
 * groups.json beside a cases file: { group: { kind, software, via } }, as training and inference
 * software by group; a training group's framework is the release of its software that "via" dates.
 */
function readGroups(file: string, frameworks: readonly FrameworkSpec[]): { training: Map<string, string>; inference: Map<string, string> } {
  const path = join(dirname(file), "groups.json");
  const software = new Map<string, string>();
  const inference = new Map<string, string>();
  if (!existsSync(path)) return { training: software, inference };
  const loaded = readInputFile(path);
  if (typeof loaded.value !== "object" || loaded.value === null || Array.isArray(loaded.value))
    throw new UltrasimError("INVALID_INPUT", "groups.json holds one mapping of group names to { kind, software }", { file: path, line: 1 });
  for (const [group, entry] of Object.entries(loaded.value as Record<string, unknown>)) {
    const e = entry as { software?: unknown; kind?: unknown; via?: unknown } | null;
    const s = e?.software;
    if (typeof s !== "string") continue;
    if (e!.kind === "inference") inference.set(group, s);
    else software.set(group, frameworkOfGroup(frameworks, s, typeof e!.via === "string" ? e!.via : undefined));
  }
  return { training: software, inference };
}

export function readValidationFiles(
  files: string[],
  frameworks: readonly FrameworkSpec[] = builtinCatalog().listFrameworks(),
): ValidationInput {
  const training: TrainingCase[] = [];
  const invalid: CaseResult[] = [];
  const inference: InferenceCase[] = [];
  const groupSoftware = new Map<string, string>();
  const groupEngine = new Map<string, string>();
  const places = new Map<TrainingCase, string>();
  const caseFramework = caseFrameworks();
  for (const file of files) {
    const { loaded, cases } = readCasesFile(file);
    checkCaseShapes(loaded, cases);
    const groups = readGroups(file, frameworks);
    for (const [group, software] of groups.training) groupSoftware.set(group, software);
    for (const [group, software] of groups.inference) groupEngine.set(group, software);
    readCases(file, loaded, cases, { training, invalid, inference, places });
  }
  return {
    training,
    invalid,
    inference,
    frameworkOf: (c) => c.framework ?? caseFramework.get(c.id) ?? groupSoftware.get(c.group),
    engineOf: (c) => groupEngine.get(c.group),
    placeOf: (c) => places.get(c) ?? "",
  };
}

function readCases(
  file: string,
  loaded: LoadedDocument,
  cases: unknown[],
  into: { training: TrainingCase[]; invalid: CaseResult[]; inference: InferenceCase[]; places: Map<TrainingCase, string> },
): void {
  cases.forEach((raw, i) => {
    const c = raw as Partial<TrainingCase>;
    if ((c.kind as string) === "inference") {
      into.inference.push(checkSchema<InferenceCase>(InferenceCase, loaded, raw, `${i}.`));
      return;
    }
    if (c.kind !== "training") return;
    try {
      const checked = checkSchema<TrainingCase>(TrainingCase, loaded, raw, `${i}.`);
      into.training.push(checked);
      into.places.set(checked, `${file}:${lineOf(loaded, String(i))}`);
    } catch (e) {
      if (!(e instanceof UltrasimError)) throw e;
      into.invalid.push({
        id: String(c.id ?? `#${i}`),
        group: String(c.group ?? "unknown"),
        systemId: String(c.system?.id ?? "?"),
        chips: Number(c.system?.chips ?? 0),
        predicted: null,
        measured: { stepSeconds: Number(c.measured?.stepSeconds ?? NaN) },
        errorPct: null,
        failure: e.describe(),
      });
    }
  });
}
