// Every input lives in the URL's query string, under the CLI's own flag names (`--global-batch 1152`
// is `global-batch=1152`), laid over the built-in default exactly as the CLI lays flags over it: a
// link reproduces the view, and the same scenario runs with `ultrasim train --<name> <value> ...`.
import { DEFAULT_TRAINING_SCENARIO, type TrainingScenario } from "../../src/index.ts";

/** The CLI's training flags (src/node/trainingScenario.ts TRAINING_FLAGS), by URL parameter name. */
export const SCENARIO_PARAMS = {
  model: { path: "model", kind: "string" },
  system: { path: "system.id", kind: "string" },
  chips: { path: "system.chips", kind: "number" },
  "seq-len": { path: "run.seqLen", kind: "number" },
  "global-batch": { path: "run.globalBatch", kind: "number" },
  "micro-batch": { path: "run.microBatch", kind: "number" },
  precision: { path: "run.precision", kind: "string" },
  "expert-imbalance": { path: "run.expertLoadImbalance", kind: "number" },
  tp: { path: "parallelism.tp", kind: "number" },
  pp: { path: "parallelism.pp", kind: "number" },
  dp: { path: "parallelism.dp", kind: "number" },
  cp: { path: "parallelism.cp", kind: "number" },
  ep: { path: "parallelism.ep", kind: "number" },
  etp: { path: "parallelism.etp", kind: "number" },
  vpp: { path: "parallelism.vpp", kind: "number" },
  zero: { path: "parallelism.zero", kind: "number" },
  recompute: { path: "parallelism.recompute", kind: "string" },
  "recompute-layers": { path: "parallelism.recomputeLayers", kind: "number" },
  placement: { path: "parallelism.placement", kind: "string" },
  framework: { path: "framework", kind: "string" },
} as const;
export type ScenarioParam = keyof typeof SCENARIO_PARAMS;

/** Fields the flags cannot hold travel as JSON (a custom model, efficiency overrides). */
const JSON_PARAMS = { "model-json": "model", "efficiency-json": "efficiency" } as const;

export const PAGES = ["train", "compare", "serve", "reliability", "claims"] as const;
export type Page = (typeof PAGES)[number];

export function getPath(target: unknown, path: string): unknown {
  let node = target;
  for (const k of path.split(".")) node = node && typeof node === "object" ? (node as Record<string, unknown>)[k] : undefined;
  return node;
}

export function setPath<T>(target: T, path: string, value: unknown): T {
  const keys = path.split(".");
  let node = target as Record<string, unknown>;
  for (const k of keys.slice(0, -1)) node = (node[k] ??= {}) as Record<string, unknown>;
  node[keys[keys.length - 1]!] = value;
  return target;
}

const NULLABLE = new Set<ScenarioParam>(["etp", "vpp", "recompute", "recompute-layers"]);

/** A parameter's text as the scenario value the CLI would make of the same flag. */
export function parseParam(name: ScenarioParam, text: string): unknown {
  // etp, vpp, recompute and recompute-layers may be null in a file (etp = tp, no interleaving, the least
  // recompute that fits, every layer of a stage).
  if (text === "null" && NULLABLE.has(name)) return null;
  if (SCENARIO_PARAMS[name].kind === "string") return text;
  const value = Number(text);
  // Left as text, the schema check names the field and the bad value, as the CLI does.
  return text.trim() === "" || !Number.isFinite(value) ? text : value;
}

export function scenarioFromParams(params: URLSearchParams): { scenario: TrainingScenario; error: string | null } {
  const raw = structuredClone(DEFAULT_TRAINING_SCENARIO) as TrainingScenario;
  let error: string | null = null;
  for (const [name, spec] of Object.entries(SCENARIO_PARAMS) as [ScenarioParam, (typeof SCENARIO_PARAMS)[ScenarioParam]][]) {
    const text = params.get(name);
    if (text !== null) setPath(raw, spec.path, parseParam(name, text));
  }
  const sp = params.get("sp");
  if (sp !== null) raw.parallelism.sequenceParallel = sp === "1" || sp === "true";
  const scaleOut = params.get("scale-out-gbps");
  if (scaleOut !== null) raw.system.scaleOutGbpsPerChip = Number(scaleOut);
  const name = params.get("name");
  // As on the command line, flags keep the default's name; an empty name is none.
  if (name === "") delete raw.name;
  else if (name !== null) raw.name = name;
  for (const [param, field] of Object.entries(JSON_PARAMS)) {
    const text = params.get(param);
    if (text === null) continue;
    try {
      setPath(raw, field, JSON.parse(text));
    } catch {
      error = `${param}: not valid JSON`;
    }
  }
  return { scenario: raw, error };
}

/** The scenario as parameters: every field written out, so a link does not depend on today's default. */
export function paramsFromScenario(scenario: TrainingScenario, page: Page, extra: Record<string, string> = {}): URLSearchParams {
  const params = new URLSearchParams();
  params.set("page", page);
  for (const [name, spec] of Object.entries(SCENARIO_PARAMS) as [ScenarioParam, (typeof SCENARIO_PARAMS)[ScenarioParam]][]) {
    const value = getPath(scenario, spec.path);
    // null is written only where the default is not null already (the CLI's flags cannot say null).
    const byDefault = getPath(DEFAULT_TRAINING_SCENARIO, spec.path);
    if (value === null && NULLABLE.has(name) && byDefault !== null && byDefault !== undefined) params.set(name, "null");
    if (value === undefined || value === null || typeof value === "object") continue;
    params.set(name, String(value));
  }
  if (typeof scenario.model === "object") params.set("model-json", JSON.stringify(scenario.model));
  if (scenario.efficiency) params.set("efficiency-json", JSON.stringify(scenario.efficiency));
  const sp = scenario.parallelism.sequenceParallel;
  if (typeof sp === "boolean") params.set("sp", sp ? "1" : "0");
  if (scenario.system.scaleOutGbpsPerChip !== undefined) params.set("scale-out-gbps", String(scenario.system.scaleOutGbpsPerChip));
  params.set("name", scenario.name ?? "");
  for (const [k, v] of Object.entries(extra)) params.set(k, v);
  return params;
}

/** The same scenario as `ultrasim train` arguments (for a copyable command line). */
export function cliArguments(scenario: TrainingScenario): string[] {
  const args: string[] = [];
  for (const [name, spec] of Object.entries(SCENARIO_PARAMS) as [ScenarioParam, (typeof SCENARIO_PARAMS)[ScenarioParam]][]) {
    const value = getPath(scenario, spec.path);
    if (value === undefined || value === null || typeof value === "object") continue;
    args.push(`--${name}`, String(value));
  }
  const sp = scenario.parallelism.sequenceParallel;
  if (typeof sp === "boolean") args.push(sp ? "--sp" : "--no-sp");
  return args;
}

export function pageFromParams(params: URLSearchParams): Page {
  const page = params.get("page");
  return (PAGES as readonly string[]).includes(page ?? "") ? (page as Page) : "train";
}
