// Serving engines as data (data/serving-engines.json): the scheduler each runs (schedulers/), how it
// admits requests to the KV cache, whether it chunks prompts, whether its runtime executes static
// shapes, and its host-side cost per iteration (scheduling, sampling, Python), each with where it
// comes from. Host overheads are fitted per engine on the open inference cases
// (scripts/fit-serving-efficiency.ts), never per chip: the same software costs the same on any chip.
import { Type, type Static } from "@sinclair/typebox";
import engines from "../../../data/serving-engines.json" with { type: "json" };
import { UltrasimError } from "../errors.js";
import { SCHEDULER_NAMES } from "./schedulers/index.js";

export const ServingEngineSpec = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    /** The software stack it runs on: NVIDIA's CUDA (GPUs) or AWS Neuron (Trainium, Inferentia). */
    runtime: Type.Union([Type.Literal("cuda"), Type.Literal("neuron")]),
    scheduler: Type.Union(SCHEDULER_NAMES.map((s) => Type.Literal(s))),
    kvAdmission: Type.Union([Type.Literal("on-demand"), Type.Literal("reserve")]),
    chunkedPrefill: Type.Boolean(),
    /** Token budget of one iteration; null where the runtime has none (static shapes). */
    maxTokensPerIteration: Type.Union([Type.Integer({ minimum: 1 }), Type.Null()]),
    /** Static-shape runtimes: prompts per context-encoding graph (null: the compiled batch). */
    staticShapes: Type.Union([
      Type.Object({ prefillBatch: Type.Union([Type.Integer({ minimum: 1 }), Type.Null()]) }, { additionalProperties: false }),
      Type.Null(),
    ]),
    /** Host time per iteration the accelerator waits on. */
    iterationOverheadUs: Type.Object(
      { value: Type.Number({ minimum: 0 }), provenance: Type.String({ minLength: 1 }) },
      { additionalProperties: false },
    ),
    /**
     * Whether the engine schedules the next iteration while the accelerator runs this one (an overlap or
     * async scheduler): then an iteration takes the longer of its device time and its host time, not
     * their sum. With its source.
     */
    hostOverlap: Type.Object(
      {
        /** The mode where the engine's version is not known. */
        value: Type.Boolean(),
        /** The first release that overlaps by default: a known earlier version runs without it, a later one with it. */
        sinceVersion: Type.Optional(Type.String({ pattern: "^[0-9]+(\\.[0-9]+)*$" })),
        source: Type.String({ minLength: 1 }),
      },
      { additionalProperties: false },
    ),
    /**
     * Whether the engine keeps shared prompt prefixes' KV blocks for later requests by default (prefix
     * caching), with its source. A pool's prefixCaching overrides it.
     */
    prefixCaching: Type.Object({ value: Type.Boolean(), source: Type.String({ minLength: 1 }) }, { additionalProperties: false }),
    /** Static-shape engines: host time per context-encoding graph call (input preparation, the call, sampling the first token). */
    prefillCallOverheadUs: Type.Optional(
      Type.Object({ value: Type.Number({ minimum: 0 }), provenance: Type.String({ minLength: 1 }) }, { additionalProperties: false }),
    ),
    /**
     * How the runtime runs routed experts under static shapes, where it differs from running only
     * the chosen ones (NxD's ExpertMLPs): a decode step whose tokens x topK / experts reaches
     * `selectiveLoadingThreshold` runs every expert on every token ("all experts"), below it only the
     * chosen experts ("selective loading"); a prefill runs all experts while tokens x topK is under
     * `blockSize`, else blockwise over blocks of `blockSize` rows sized for the worst case (every
     * expert may leave a partial block). Absent: only the chosen experts run, on their tokens.
     */
    moeExperts: Type.Optional(
      Type.Object(
        {
          selectiveLoadingThreshold: Type.Number({ exclusiveMinimum: 0 }),
          blockSize: Type.Integer({ minimum: 1 }),
          source: Type.String({ minLength: 1 }),
        },
        { additionalProperties: false },
      ),
    ),
    source: Type.String({ minLength: 1 }),
  },
  { additionalProperties: false },
);
export type ServingEngine = Static<typeof ServingEngineSpec>;
export type MoeExpertsPolicy = NonNullable<ServingEngine["moeExperts"]>;

export const BUILTIN_SERVING_ENGINES = engines as ServingEngine[];
export const SERVING_ENGINE_IDS = BUILTIN_SERVING_ENGINES.map((e) => e.id);
/**
 * The engine a scenario that names none runs, by the chip's runtime: vLLM, the most deployed
 * open-source engine, on GPUs; on Trainium and Inferentia vLLM with the Neuron backend (NxD
 * Inference), the serving path AWS's Neuron documentation leads with ("vLLM User Guide for NxD
 * Inference"). vLLM's CUDA build does not run on a NeuronCore.
 */
export const DEFAULT_SERVING_ENGINE: Record<"cuda" | "neuron", string> = { cuda: "vllm", neuron: "vllm-neuron" };

export function servingEngine(id: string, field: string, engines: ServingEngine[] = BUILTIN_SERVING_ENGINES): ServingEngine {
  const engine = engines.find((e) => e.id === id);
  if (!engine)
    throw new UltrasimError("INVALID_INPUT", `unknown serving engine "${id}": must be one of ${engines.map((e) => e.id).join(" | ")}`, {
      field,
    });
  return engine;
}

/** Power-of-two sequence buckets from 128 up to the first that holds `longest` (NxD Inference's default bucketing). */
export function defaultSequenceBuckets(longest: number): number[] {
  const buckets = [128];
  while (buckets[buckets.length - 1]! < longest) buckets.push(buckets[buckets.length - 1]! * 2);
  return buckets;
}

/** The numeric release in a version string ("v0.10.1.1", "1.2.0rc1", "TensorRT-LLM 1.0"), or null where it has none. */
export function releaseNumbers(version: string): number[] | null {
  const m = /\d+(?:\.\d+)*/.exec(version);
  return m ? m[0].split(".").map(Number) : null;
}

/** a - b over dotted releases, missing parts read as 0 (1.0 = 1.0.0). */
export function compareReleases(a: number[], b: number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/**
 * Whether an engine overlaps host and device work: the scenario's choice, else by the engine's version
 * where it is known and the engine says from which release the overlap is its default, else the
 * engine's default. With where that comes from.
 */
export function hostOverlapOf(
  engine: ServingEngine,
  scenario: { hostOverlap?: boolean; engineVersion?: string },
): { value: boolean; provenance: string } {
  if (scenario.hostOverlap !== undefined) return { value: scenario.hostOverlap, provenance: "the scenario's hostOverlap" };
  const since = engine.hostOverlap.sinceVersion;
  const version = scenario.engineVersion !== undefined ? releaseNumbers(scenario.engineVersion) : null;
  if (since !== undefined && version !== null) {
    const on = compareReleases(version, releaseNumbers(since)!) >= 0;
    return {
      value: on,
      provenance: `${engine.id} ${scenario.engineVersion}: ${on ? "at or after" : "before"} ${since}, from which it overlaps by default (${engine.hostOverlap.source})`,
    };
  }
  return { value: engine.hostOverlap.value, provenance: `${engine.id}: ${engine.hostOverlap.source}` };
}
