// A training scenario from a file (or the built-in default), with command-line flags laid over it,
// checked against the schema. Errors name the file, line and field, or the flag.
import { DEFAULT_TRAINING_SCENARIO, TrainingCase, TrainingScenario } from "../engine/catalog/scenario.js";
import type { ParallelismSpec } from "../engine/catalog/schema.js";
import { UltrasimError } from "../engine/errors.js";
import { numberFlag } from "../engine/flagSyntax.js";
import { checkSchema, readInputFile, schemaErrorMessage, type LoadedDocument } from "./loadInput.js";
import { Value } from "@sinclair/typebox/value";

/** Flags that set scenario fields, by their path in the scenario. */
export const TRAINING_FLAGS = {
  model: { path: "model", kind: "string", help: "model id (ultrasim catalog models)" },
  system: { path: "system.id", kind: "string", help: "system id (ultrasim catalog systems)" },
  chips: { path: "system.chips", kind: "number", help: "accelerators in total" },
  seqLen: { path: "run.seqLen", kind: "number", help: "sequence length in tokens" },
  globalBatch: { path: "run.globalBatch", kind: "number", help: "sequences per optimizer step" },
  microBatch: { path: "run.microBatch", kind: "number", help: "sequences per micro-batch" },
  precision: { path: "run.precision", kind: "string", help: "fp16 | bf16 | fp8 | mxfp8 | nvfp4" },
  expertImbalance: {
    path: "run.expertLoadImbalance",
    kind: "number",
    help: "MoE: tokens routed to the busiest expert-parallel rank over the mean (default 1: balanced)",
  },
  tp: { path: "parallelism.tp", kind: "number", help: "tensor-parallel degree" },
  pp: { path: "parallelism.pp", kind: "number", help: "pipeline-parallel degree" },
  dp: { path: "parallelism.dp", kind: "number", help: "data-parallel degree" },
  cp: { path: "parallelism.cp", kind: "number", help: "context-parallel degree" },
  ep: { path: "parallelism.ep", kind: "number", help: "expert-parallel degree" },
  etp: { path: "parallelism.etp", kind: "number", help: "expert tensor-parallel degree (null: = tp)" },
  vpp: { path: "parallelism.vpp", kind: "number", help: "virtual pipeline stages per rank (null: 1)" },
  zero: { path: "parallelism.zero", kind: "number", help: "ZeRO stage 0-3" },
  recompute: { path: "parallelism.recompute", kind: "string", help: "none | selective | full (null: the least that fits)" },
  recomputeLayers: {
    path: "parallelism.recomputeLayers",
    kind: "number",
    help: "with --recompute full: the layers of each virtual stage recomputed (Megatron's block method); default all",
  },
  placement: { path: "parallelism.placement", kind: "string", help: "rank order: tp-cp-dp-pp (default) | tp-cp-pp-dp" },
  framework: { path: "framework", kind: "string", help: "training framework (ultrasim catalog frameworks); default: the chip vendor's" },
} as const;
export type TrainingFlag = keyof typeof TRAINING_FLAGS;

/** The flags whose field may be null: `--vpp null` is a file's `vpp: null`. */
const NULLABLE_FLAGS = new Set<TrainingFlag>(["etp", "vpp", "recompute", "recomputeLayers"]);

const kebab = (name: string) => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split(".");
  let node = target;
  for (const k of keys.slice(0, -1)) node = (node[k] ??= {}) as Record<string, unknown>;
  node[keys[keys.length - 1]!] = value;
}

export interface LoadedScenario {
  scenario: TrainingScenario;
  loaded?: LoadedDocument;
  /** Scenario field path -> the flag that set it, for error messages. */
  flagFields: Map<string, string>;
}

export function loadTrainingScenario(
  file: string | undefined,
  flags: Partial<Record<TrainingFlag, string>>,
  sequenceParallel?: boolean,
  /** Without a file: the layout the flags are laid over (default: the built-in scenario's). */
  baseLayout?: ParallelismSpec,
): LoadedScenario {
  const loaded = file ? readInputFile(file) : undefined;
  const base = loaded
    ? loaded.value
    : baseLayout
      ? {
          ...Value.Clone(DEFAULT_TRAINING_SCENARIO),
          parallelism: { ...baseLayout },
          run: { ...DEFAULT_TRAINING_SCENARIO.run, microBatch: null },
        }
      : Value.Clone(DEFAULT_TRAINING_SCENARIO);
  if (loaded && (typeof base !== "object" || base === null || Array.isArray(base))) {
    throw new UltrasimError(
      "INVALID_INPUT",
      "a scenario file holds one mapping of fields (schemaVersion, model, system, run, parallelism)",
      { file, line: 1 },
    );
  }
  // A validation case is a scenario too: accept one, ignoring what was measured.
  const raw = structuredClone(base) as Record<string, unknown>;
  if (loaded && raw.kind === "training" && Value.Check(TrainingCase, base)) {
    for (const k of ["id", "group", "source", "measured", "assumptions"]) delete raw[k];
  }
  const flagFields = new Map<string, string>();
  for (const [name, text] of Object.entries(flags) as [TrainingFlag, string | undefined][]) {
    if (text === undefined) continue;
    const spec = TRAINING_FLAGS[name];
    let value: unknown = text;
    // `null` unsets a field a file may leave null (etp = tp, no interleaving, the least recomputation
    // that fits, every layer), as the web app's links write it.
    if (text === "null" && NULLABLE_FLAGS.has(name)) value = null;
    else if (spec.kind === "number") {
      value = numberFlag(text, `--${kebab(name)}`);
      if (value === undefined) throw new UltrasimError("INVALID_INPUT", `must be a number, got '${text}'`, { field: `--${kebab(name)}` });
    }
    setPath(raw, spec.path, value);
    flagFields.set(spec.path, `--${kebab(name)}`);
  }
  if (sequenceParallel !== undefined) {
    setPath(raw, "parallelism.sequenceParallel", sequenceParallel);
    flagFields.set("parallelism.sequenceParallel", sequenceParallel ? "--sp" : "--no-sp");
  }
  if (!loaded) {
    return { scenario: checkFlagsSchema(raw, flagFields), flagFields };
  }
  return { scenario: checkSchema<TrainingScenario>(TrainingScenario, loaded, raw), loaded, flagFields };
}

function checkFlagsSchema(raw: unknown, flagFields: Map<string, string>): TrainingScenario {
  const error = Value.Errors(TrainingScenario, raw).First();
  if (!error) return raw as TrainingScenario;
  const path = error.path.replace(/^\//, "").replaceAll("/", ".");
  throw new UltrasimError("INVALID_INPUT", schemaErrorMessage(error), { field: flagFields.get(path) ?? path });
}

/** Read a validation cases file: a JSON array of cases (../shared/validation/README.md). */
export function readCasesFile(file: string): { loaded: LoadedDocument; cases: unknown[] } {
  const loaded = readInputFile(file);
  if (!Array.isArray(loaded.value)) throw new UltrasimError("INVALID_INPUT", "a cases file holds a JSON array of cases", { file, line: 1 });
  return { loaded, cases: loaded.value };
}
