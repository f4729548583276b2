// A serving scenario from a file, with command-line flags over it, checked against the schema; and
// its requests, from a trace file named relative to the scenario. Errors name file, line and field.
import { SERVING_ENGINE_IDS } from "../engine/serve/engines.js";
import { parseNumber } from "../engine/flagSyntax.js";
import { dirname, resolve } from "node:path";
import { UltrasimError } from "../engine/errors.js";
import { ServingScenario, type RequestSpec } from "../engine/serve/scenario.js";
import { MAX_EXPERT_LOAD_IMBALANCE } from "../engine/catalog/schema.js";
import { parseSlo } from "../engine/flagSyntax.js";
import { checkServingBounds, checkServingWork } from "./inputBounds.js";
import { checkSchema, locate, readInputFile, type LoadedDocument } from "./loadInput.js";
import { readRequestTrace } from "./requestTrace.js";

export interface LoadedServingScenario {
  scenario: ServingScenario;
  loaded: LoadedDocument;
  requests?: RequestSpec[];
}

export { parseSlo } from "../engine/flagSyntax.js";

/** The requests a scenario simulates when it names none (src/engine/serve/serve.ts). */
const DEFAULT_SERVING_REQUESTS = 1000;

/** The command-line flags laid over a serving scenario file. */
export interface ServingFlags {
  slo?: string;
  seed?: string;
  requests?: string;
  rate?: string;
  /** With a rate: how requests are spaced, "poisson" (default) or "constant". */
  arrivals?: string;
  concurrency?: string;
  /** Closed loop: which requests the latencies cover (steady-state or whole-run). */
  measure?: string;
  engine?: string;
  /** The engine's release, for every pool. */
  engineVersion?: string;
  /** "on" or "off": whether the engine overlaps host and device work, for every pool. */
  hostOverlap?: string;
  /** "on" or "off": whether the engine caches shared prompt prefixes, for every pool. */
  prefixCaching?: string;
  /** TOKENS or TOKENS:PREFIXES: every prompt starts with one of PREFIXES shared prefixes of TOKENS tokens. */
  sharedPrefix?: string;
  /** least-loaded or cache-aware: how arriving requests pick a replica. */
  routing?: string;
  /** TURNS or TURNS:THINK_SECONDS: each request starts a conversation of TURNS turns. */
  conversation?: string;
  compiledBatch?: string;
  /** Tokens per streamed chunk, for every pool (the client's first token waits for the first chunk). */
  streamInterval?: string;
  /** MoE: the busiest expert-parallel rank's routed tokens over the mean, for every pool. */
  expertImbalance?: string;
  trace?: string;
  force?: boolean;
}

export function loadServingScenario(file: string, flags: ServingFlags = {}): LoadedServingScenario {
  const loaded = readInputFile(file);
  if (typeof loaded.value !== "object" || loaded.value === null || Array.isArray(loaded.value))
    throw new UltrasimError("INVALID_INPUT", "a serving scenario holds one mapping of fields (schemaVersion, model, deployment, traffic)", {
      file,
      line: 1,
    });
  const raw = structuredClone(loaded.value) as Record<string, unknown>;
  checkServingBounds(loaded);
  const scenario = checkSchema<ServingScenario>(ServingScenario, loaded, raw);
  const integer = (text: string, flag: string, min: number) => {
    const v = parseNumber(text);
    if (!Number.isInteger(v) || v < min || v > Number.MAX_SAFE_INTEGER)
      throw new UltrasimError("INVALID_INPUT", `must be a whole number ≥ ${min}, got '${text}'`, { field: flag });
    return v;
  };
  if (flags.slo !== undefined) scenario.slo = { ...scenario.slo, ...parseSlo(flags.slo) };
  if (flags.seed !== undefined) scenario.seed = integer(flags.seed, "--seed", 0);
  if (flags.requests !== undefined) scenario.traffic.requests = integer(flags.requests, "--requests", 1);
  if (flags.rate !== undefined) {
    const rate = parseNumber(flags.rate);
    if (!(rate > 0 && Number.isFinite(rate)))
      throw new UltrasimError("INVALID_INPUT", `must be a positive number of requests per second, got '${flags.rate}'`, {
        field: "--rate",
      });
    scenario.traffic.arrival = { kind: "poisson", ratePerSecond: rate };
  }
  if (flags.arrivals !== undefined) {
    if (flags.concurrency !== undefined)
      throw new UltrasimError(
        "INVALID_INPUT",
        "spaces requests sent at a rate (open loop), not a closed loop's: drop --concurrency or this flag",
        {
          field: "--arrivals",
        },
      );
    if (flags.arrivals !== "poisson" && flags.arrivals !== "constant")
      throw new UltrasimError("INVALID_INPUT", `must be poisson or constant, got '${flags.arrivals}'`, { field: "--arrivals" });
    const arrival = scenario.traffic.arrival;
    if (!arrival || !("ratePerSecond" in arrival))
      throw new UltrasimError("INVALID_INPUT", "spaces requests sent at a rate: give --rate, or a traffic.arrival with ratePerSecond", {
        field: "--arrivals",
      });
    scenario.traffic.arrival = { kind: flags.arrivals, ratePerSecond: arrival.ratePerSecond };
  }
  if (flags.rate !== undefined && flags.concurrency !== undefined)
    throw new UltrasimError("INVALID_INPUT", "give --rate (open loop) or --concurrency (closed loop), not both", {
      field: "--concurrency",
    });
  if (flags.concurrency !== undefined)
    scenario.traffic.arrival = { kind: "closed-loop", concurrency: integer(flags.concurrency, "--concurrency", 1) };
  if (flags.measure !== undefined) {
    const arrival = scenario.traffic.arrival;
    if (arrival?.kind !== "closed-loop")
      throw new UltrasimError(
        "INVALID_INPUT",
        "chooses what a closed loop's latencies cover: give --concurrency, or a closed-loop traffic.arrival",
        {
          field: "--measure",
        },
      );
    if (flags.measure !== "steady-state" && flags.measure !== "whole-run")
      throw new UltrasimError("INVALID_INPUT", `must be steady-state or whole-run, got '${flags.measure}'`, { field: "--measure" });
    scenario.traffic.arrival = { ...arrival, measure: flags.measure };
  }
  // A serving engine or compiled batch set on the command line applies to every pool.
  const pools = [scenario.deployment, scenario.disaggregated?.prefill, scenario.disaggregated?.decode].filter((p) => p !== undefined);
  if (flags.engine !== undefined) {
    if (!SERVING_ENGINE_IDS.includes(flags.engine))
      throw new UltrasimError("INVALID_INPUT", `must be one of ${SERVING_ENGINE_IDS.join(" | ")}, got '${flags.engine}'`, {
        field: "--engine",
      });
    for (const p of pools) p.engine = flags.engine;
  }
  if (flags.engineVersion !== undefined) {
    if (flags.engineVersion.trim() === "")
      throw new UltrasimError("INVALID_INPUT", "must name a release, e.g. 0.10.1", { field: "--engine-version" });
    for (const p of pools) p.engineVersion = flags.engineVersion;
  }
  if (flags.hostOverlap !== undefined) {
    if (flags.hostOverlap !== "on" && flags.hostOverlap !== "off")
      throw new UltrasimError("INVALID_INPUT", `must be on or off, got '${flags.hostOverlap}'`, { field: "--host-overlap" });
    for (const p of pools) p.hostOverlap = flags.hostOverlap === "on";
  }
  if (flags.prefixCaching !== undefined) {
    if (flags.prefixCaching !== "on" && flags.prefixCaching !== "off")
      throw new UltrasimError("INVALID_INPUT", `must be on or off, got '${flags.prefixCaching}'`, { field: "--prefix-caching" });
    for (const p of pools) p.prefixCaching = flags.prefixCaching === "on";
  }
  if (flags.routing !== undefined) {
    if (flags.routing !== "least-loaded" && flags.routing !== "cache-aware")
      throw new UltrasimError("INVALID_INPUT", `must be least-loaded or cache-aware, got '${flags.routing}'`, { field: "--routing" });
    // Requests arrive at the colocated pool, or at the prefill pool, which hands them to the decode pool.
    const arriving = scenario.deployment ?? scenario.disaggregated?.prefill;
    if (arriving) arriving.routing = flags.routing;
  }
  /** "A" or "A:B", as `--shared-prefix` and `--conversation` take them; anything else is refused with `usage`. */
  const pair = (text: string, flag: string, usage: string): [string, string | undefined] => {
    const [first, second, extra] = text.split(":");
    if (extra !== undefined || !first) throw new UltrasimError("INVALID_INPUT", `must be ${usage}, got '${text}'`, { field: flag });
    return [first, second];
  };
  if (flags.conversation !== undefined) {
    const [turns, think] = pair(flags.conversation, "--conversation", "TURNS or TURNS:THINK_SECONDS (e.g. 4 or 4:5)");
    let thinkSeconds: number | undefined;
    if (think !== undefined) {
      thinkSeconds = parseNumber(think);
      if (!(thinkSeconds >= 0 && Number.isFinite(thinkSeconds)))
        throw new UltrasimError("INVALID_INPUT", `the think time must be seconds ≥ 0, got '${think}'`, { field: "--conversation" });
    }
    scenario.traffic.conversation = { turns: integer(turns, "--conversation", 1), ...(thinkSeconds !== undefined ? { thinkSeconds } : {}) };
  }
  if (flags.sharedPrefix !== undefined) {
    const [tokens, prefixes] = pair(flags.sharedPrefix, "--shared-prefix", "TOKENS or TOKENS:PREFIXES (e.g. 2000 or 2000:8)");
    scenario.traffic.sharedPrefix = {
      tokens: integer(tokens, "--shared-prefix", 1),
      ...(prefixes !== undefined ? { prefixes: integer(prefixes, "--shared-prefix", 1) } : {}),
    };
  }
  if (flags.compiledBatch !== undefined) {
    const compiledBatch = integer(flags.compiledBatch, "--compiled-batch", 1);
    for (const p of pools) p.compiledBatch = compiledBatch;
  }
  if (flags.streamInterval !== undefined) {
    const streamInterval = integer(flags.streamInterval, "--stream-interval", 1);
    for (const p of pools) p.streamInterval = streamInterval;
  }
  if (flags.expertImbalance !== undefined) {
    const imbalance = parseNumber(flags.expertImbalance);
    if (!(imbalance >= 1 && imbalance <= MAX_EXPERT_LOAD_IMBALANCE))
      throw new UltrasimError("INVALID_INPUT", `must be a number from 1 to ${MAX_EXPERT_LOAD_IMBALANCE}, got '${flags.expertImbalance}'`, {
        field: "--expert-imbalance",
      });
    for (const p of pools) p.expertLoadImbalance = imbalance;
  }
  const trace = flags.trace ?? (scenario.traffic.trace ? resolve(dirname(file), scenario.traffic.trace) : undefined);
  if (trace) checkTraceAlone(scenario, flags, loaded);
  const requests = trace ? readRequestTrace(trace) : undefined;
  try {
    checkServingWork(scenario, requests?.length ?? scenario.traffic.requests ?? DEFAULT_SERVING_REQUESTS, flags.force ?? false, {
      requests: flags.trace !== undefined ? "--request-trace" : flags.requests !== undefined ? "--requests" : "traffic.requests",
    });
  } catch (e) {
    if (e instanceof UltrasimError && !e.where.field?.startsWith("--")) locate(e, loaded);
    throw e;
  }
  return { scenario, loaded, requests };
}

/**
 * A request trace holds the requests, their arrivals and their lengths: a count, an arrival process or
 * lengths given beside it would be silently overridden, so they are refused, naming the flag or the
 * file's field. (A trace given by --request-trace replaces the file's traffic, as a flag replaces a field.)
 */
function checkTraceAlone(scenario: ServingScenario, flags: ServingFlags, loaded: LoadedDocument): void {
  const conflict = (["requests", "rate", "arrivals", "concurrency"] as const).find((k) => flags[k] !== undefined);
  if (conflict)
    throw new UltrasimError("INVALID_INPUT", "the request trace sets the requests and their arrivals: drop this flag or the trace", {
      field: `--${conflict}`,
    });
  if (flags.trace !== undefined || !scenario.traffic.trace) return;
  const field = (["requests", "arrival", "inputTokens", "outputTokens"] as const).find((k) => scenario.traffic[k] !== undefined);
  if (field) {
    const e = new UltrasimError("INVALID_INPUT", "not with traffic.trace: the trace holds the requests, their arrivals and lengths", {
      field: `traffic.${field}`,
    });
    locate(e, loaded);
    throw e;
  }
}
