// A serving scenario from a file, with command-line flags over it, checked against the schema; and
// its requests, from a trace file named relative to the scenario. Errors name file, line and field.
import { dirname, resolve } from "node:path";
import { UltrasimError } from "../engine/errors.js";
import { ServingScenario, type RequestSpec, type SloSpec } from "../engine/serve/scenario.js";
import { checkSchema, readInputFile, type LoadedDocument } from "./loadInput.js";
import { readRequestTrace } from "./requestTrace.js";

export interface LoadedServingScenario {
  scenario: ServingScenario;
  loaded: LoadedDocument;
  requests?: RequestSpec[];
}

/** "--slo ttft=2s,tpot=100ms,e2e=30s" as seconds. */
export function parseSlo(text: string): SloSpec {
  const slo: SloSpec = {};
  const keys = { ttft: "ttftSeconds", tpot: "tpotSeconds", e2e: "e2eSeconds" } as const;
  for (const part of text.split(",").filter((p) => p.trim())) {
    const m = /^\s*(ttft|tpot|e2e)\s*=\s*([0-9.]+(?:e-?\d+)?)\s*(ms|s|us|µs)?\s*$/i.exec(part);
    if (!m)
      throw new UltrasimError("INVALID_INPUT", `cannot read '${part}': write e.g. ttft=2s,tpot=100ms (keys ttft, tpot, e2e)`, {
        field: "--slo",
      });
    const unit = (m[3] ?? "s").toLowerCase();
    const value = Number(m[2]) * (unit === "ms" ? 1e-3 : unit === "us" || unit === "µs" ? 1e-6 : 1);
    if (!(value > 0)) throw new UltrasimError("INVALID_INPUT", `'${part}' must be above zero`, { field: "--slo" });
    slo[keys[m[1]!.toLowerCase() as keyof typeof keys]] = value;
  }
  return slo;
}

export function loadServingScenario(
  file: string,
  flags: { slo?: string; seed?: string; requests?: string; rate?: string; trace?: string } = {},
): LoadedServingScenario {
  const loaded = readInputFile(file);
  if (typeof loaded.value !== "object" || loaded.value === null || Array.isArray(loaded.value))
    throw new UltrasimError("INVALID_INPUT", "a serving scenario holds one mapping of fields (schemaVersion, model, deployment, traffic)", {
      file,
    });
  const raw = structuredClone(loaded.value) as Record<string, unknown>;
  const scenario = checkSchema<ServingScenario>(ServingScenario, loaded, raw);
  const integer = (text: string, flag: string, min: number) => {
    const v = Number(text);
    if (!Number.isInteger(v) || v < min)
      throw new UltrasimError("INVALID_INPUT", `must be a whole number ≥ ${min}, got '${text}'`, { field: flag });
    return v;
  };
  if (flags.slo !== undefined) scenario.slo = { ...scenario.slo, ...parseSlo(flags.slo) };
  if (flags.seed !== undefined) scenario.seed = integer(flags.seed, "--seed", 0);
  if (flags.requests !== undefined) scenario.traffic.requests = integer(flags.requests, "--requests", 1);
  if (flags.rate !== undefined) {
    const rate = Number(flags.rate);
    if (!(rate > 0))
      throw new UltrasimError("INVALID_INPUT", `must be a positive number of requests per second, got '${flags.rate}'`, {
        field: "--rate",
      });
    scenario.traffic.arrival = { kind: "poisson", ratePerSecond: rate };
  }
  const trace = flags.trace ?? (scenario.traffic.trace ? resolve(dirname(file), scenario.traffic.trace) : undefined);
  return { scenario, loaded, requests: trace ? readRequestTrace(trace) : undefined };
}
