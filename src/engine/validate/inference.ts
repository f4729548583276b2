// Inference cases (../shared/validation/README.md) predicted by the serving simulation: each case
// becomes a serving scenario, and every metric it measured (output tokens/s, TTFT, TPOT, at the
// case's statistic) gets its own error. Unpublished fields take documented defaults, never a
// per-case value.
import { Type, type Static } from "@sinclair/typebox";
import type { Catalog } from "../catalog/catalog.js";
import { ModelSpec } from "../catalog/schema.js";
import { SystemRef } from "../catalog/scenario.js";
import { UltrasimError } from "../errors.js";
import type { LengthSpec, PoolSpec, ServingScenario } from "../serve/scenario.js";
type ServingPrecision = NonNullable<ServingScenario["deployment"]>["precision"];
import { predictServing } from "../serve/serve.js";
import { CLOSED_LOOP_REQUESTS_PER_CLIENT } from "../serve/concurrencyCurve.js";
import { BUILTIN_SERVING_ENGINES, type ServingEngine } from "../serve/engines.js";
import type { ServingEfficiencyEntry } from "../serve/servingEfficiency.js";
import type { LatencyStats } from "../serve/servingReport.js";
import { closedLoopOf, kvAdmissionOf, randomLengthsMinRatioOf, rateArrivalsOf } from "./benchmarkClients.js";
import { summarize, type ErrorSummary } from "./validation.js";
import { servingRuntime } from "../serve/deployment.js";
import { inferenceEvidenceKey } from "./intervals.js";

const Nullable = <T extends ReturnType<typeof Type.Number>>(t: T) => Type.Union([t, Type.Null()]);

/** A disaggregated pool in a v2 case: its own layout, worker count and batch. */
const CasePool = Type.Object(
  {
    tp: Type.Integer({ minimum: 1 }),
    pp: Type.Optional(Type.Integer({ minimum: 1 })),
    ep: Type.Optional(Type.Integer({ minimum: 1 })),
    etp: Type.Optional(Type.Union([Type.Integer({ minimum: 1 }), Type.Null()])),
    attentionDp: Type.Optional(Type.Integer({ minimum: 1 })),
    replicas: Type.Integer({ minimum: 1 }),
    batch: Type.Optional(Type.Union([Type.Integer({ minimum: 1 }), Type.Null()])),
  },
  { additionalProperties: true },
);

export const InferenceCase = Type.Object(
  {
    schemaVersion: Type.Union([Type.Literal(1), Type.Literal(2)]),
    id: Type.String(),
    kind: Type.Literal("inference"),
    group: Type.String(),
    source: Type.Unknown(),
    system: SystemRef,
    model: ModelSpec,
    serving: Type.Object(
      {
        precision: Type.Union(["bf16", "fp16", "fp8", "mxfp8", "nvfp4", "mxfp4"].map((p) => Type.Literal(p))),
        tp: Type.Integer({ minimum: 1 }),
        pp: Type.Integer({ minimum: 1 }),
        ep: Type.Integer({ minimum: 1 }),
        replicas: Type.Integer({ minimum: 1 }),
        mode: Type.Union([Type.Literal("static-batch"), Type.Literal("offline"), Type.Literal("server"), Type.Literal("concurrency")]),
        batch: Type.Union([Type.Integer({ minimum: 1 }), Type.Null()]),
        inputTokens: Type.Union([Type.Integer({ minimum: 1 }), Type.Null()]),
        outputTokens: Type.Union([Type.Integer({ minimum: 1 }), Type.Null()]),
        dataset: Type.Union([
          Type.Object(
            { name: Type.String(), meanInputTokens: Nullable(Type.Number()), meanOutputTokens: Nullable(Type.Number()) },
            { additionalProperties: true },
          ),
          Type.Null(),
        ]),
        requests: Type.Union([Type.Integer({ minimum: 1 }), Type.Null()]),
        arrivalRatePerSecond: Nullable(Type.Number({ exclusiveMinimum: 0 })),
        // Format v2 (../shared/validation/README.md, "Format v2"); absent in v1, where the defaults hold.
        backend: Type.Optional(Type.Union([Type.String(), Type.Null()])),
        backendVersion: Type.Optional(Type.Union([Type.String(), Type.Null()])),
        attentionDp: Type.Optional(Type.Integer({ minimum: 1 })),
        etp: Type.Optional(Type.Union([Type.Integer({ minimum: 1 }), Type.Null()])),
        concurrency: Type.Optional(Type.Union([Type.Integer({ minimum: 1 }), Type.Null()])),
        compiledBatch: Type.Optional(Type.Union([Type.Integer({ minimum: 1 }), Type.Null()])),
        // Beyond format v2 (the cases kept in this repository, data/validation/): the sequence buckets a
        // static-shape runtime was compiled for, where the run publishes them; absent, the engine's default.
        sequenceBuckets: Type.Optional(Type.Union([Type.Array(Type.Integer({ minimum: 1 }), { minItems: 1 }), Type.Null()])),
        // Beyond format v2: tokens per streamed chunk where the run's server streamed several at once
        // (SGLang's --stream-interval, TensorRT-LLM's stream_interval); absent, 1.
        streamInterval: Type.Optional(Type.Union([Type.Integer({ minimum: 1 }), Type.Null()])),
        disaggregated: Type.Optional(
          Type.Union([Type.Object({ prefill: CasePool, decode: CasePool }, { additionalProperties: true }), Type.Null()]),
        ),
      },
      { additionalProperties: true },
    ),
    measured: Type.Object(
      {
        outputTokensPerSecond: Nullable(Type.Number({ exclusiveMinimum: 0 })),
        ttftSeconds: Nullable(Type.Number({ exclusiveMinimum: 0 })),
        tpotSeconds: Nullable(Type.Number({ exclusiveMinimum: 0 })),
        statistic: Type.Union([Type.Literal("mean"), Type.Literal("p50"), Type.Literal("p90"), Type.Literal("p99"), Type.Null()]),
      },
      { additionalProperties: true },
    ),
    assumptions: Type.Optional(Type.Array(Type.String())),
  },
  { additionalProperties: true },
);
export type InferenceCase = Static<typeof InferenceCase>;

export const INFERENCE_METRICS = ["outputTokensPerSecond", "ttftSeconds", "tpotSeconds"] as const;
export type InferenceMetric = (typeof INFERENCE_METRICS)[number];

export interface InferenceMetricResult {
  id: string;
  group: string;
  systemId: string;
  chips: number;
  metric: InferenceMetric;
  statistic: string;
  measured: number;
  predicted: number | null;
  errorPct: number | null;
  failure?: string;
}

export interface InferenceValidationReport {
  results: InferenceMetricResult[];
  /** Error per metric over all cases. */
  metrics: Record<string, ErrorSummary>;
  groups: Record<string, ErrorSummary>;
  summary: ErrorSummary;
}

/** Defaults where a case does not publish a field (documented in docs/serving.md). */
export const INFERENCE_DEFAULTS = {
  /** Maximum running batch per replica when unpublished (TensorRT-LLM's trtllm-bench tunes to the memory; the KV cache then limits). */
  maxBatch: 2048,
  /** Spread of dataset lengths: lognormal with this sigma around the published mean. */
  lengthSigma: 0.6,
  /** Server runs: simulated seconds of arrivals (MLPerf runs 600 s; the queue settles well before 60). */
  serverSeconds: 600,
  /** Offline runs without a published count: requests per replica per batch slot. */
  offlineBatchesPerReplica: 3,
  /** Closed-loop runs: requests per client (the first and last round are warm-up and drain). */
  requestsPerClient: CLOSED_LOOP_REQUESTS_PER_CLIENT,
  maxRequests: 100_000,
  /**
   * The engine when neither the case (v2 `backend`) nor its group (groups.json) names one: vLLM, as
   * a serving scenario that names none.
   */
  engine: "vllm",
} as const;

/**
 * Whether a case's TTFT and TPOT are those of a saturated server in steady state rather than of one
 * queue released at once: an offline run that publishes no request count (guidellm's "throughput"
 * profile, a sweep's saturation point). Its backlog's queueing grows with the run's length, which
 * is unpublished, so no prediction of it means anything; what the run measures once it settles is
 * each request's wait for a free slot's prefill, with every slot busy. The throughput stays that of
 * the offline queue (sustained).
 */
const offlineLatencies = (c: InferenceCase) => c.serving.mode === "offline" && c.serving.requests === null;

/**
 * A case as a serving scenario. `engine` is the software that ran it: the case's own `backend`
 * (format v2), else its group's serving software from groups.json, else INFERENCE_DEFAULTS.engine.
 * `latencies`: the run whose TTFT and TPOT the case measured, where that is not the one whose
 * throughput it measured (offlineLatencies). Requests sent at a rate are spaced as the group's
 * load generator spaced them (data/benchmark-clients.json).
 */
export function caseScenario(c: InferenceCase, engine?: string, latencies = false): ServingScenario {
  const s = c.serving;
  const ds = s.dataset;
  const meanOut = s.outputTokens ?? ds?.meanOutputTokens ?? null;
  // An unpublished mean prompt length is taken equal to the mean answer length.
  const meanIn = s.inputTokens ?? ds?.meanInputTokens ?? meanOut;
  if (meanOut === null || meanIn === null)
    throw new UltrasimError("INVALID_INPUT", "needs outputTokens or a dataset meanOutputTokens", { field: "serving.outputTokens" });
  // A nominal length is every request's, unless the group's client draws lengths below it (vLLM's
  // benchmark_serving: uniform in [floor(ratio x nominal), nominal]).
  const minRatio = randomLengthsMinRatioOf(c.group);
  const length = (fixed: number | null, mean: number): LengthSpec =>
    fixed !== null
      ? minRatio !== null
        ? { distribution: "uniform", min: Math.max(1, Math.floor(minRatio * fixed)), max: fixed }
        : fixed
      : { distribution: "lognormal", mean, sigma: INFERENCE_DEFAULTS.lengthSigma, max: Math.round(8 * mean) };
  const engineId = engineOfCase(c, () => engine);
  // The group's server, where its own figures show how it admitted requests (data/benchmark-clients.json).
  const kvAdmission = kvAdmissionOf(c.group);
  // Static-shape engines run a compiled batch: the published one, else the case's batch.
  const staticShapes = !!BUILTIN_SERVING_ENGINES.find((e) => e.id === engineId)?.staticShapes;
  const pool = (
    p: { tp: number; pp?: number; ep?: number; etp?: number | null; attentionDp?: number; replicas: number; batch?: number | null },
    field: string,
  ): PoolSpec => {
    const attentionDp = p.attentionDp ?? 1;
    // A case's batch is the worker's; each attention data-parallel rank schedules its share of it.
    const maxBatch = Math.ceil((p.batch ?? s.batch ?? INFERENCE_DEFAULTS.maxBatch) / attentionDp);
    const compiledBatch = staticShapes ? (s.compiledBatch ?? maxBatch) : undefined;
    if (!staticShapes && s.sequenceBuckets)
      throw new UltrasimError("INVALID_INPUT", `${engineId} runs dynamic shapes: sequenceBuckets are for static-shape engines (Neuron)`, {
        field: "serving.sequenceBuckets",
      });
    if (compiledBatch !== undefined && compiledBatch < maxBatch)
      throw new UltrasimError("INVALID_INPUT", `compiledBatch ${compiledBatch} is below the batch ${maxBatch}`, {
        field: `${field}.compiledBatch`,
      });
    return {
      system: c.system.id,
      precision: s.precision as ServingPrecision,
      tp: p.tp,
      pp: p.pp ?? 1,
      ep: p.ep ?? 1,
      ...(attentionDp > 1 ? { attentionDp } : {}),
      ...(p.etp != null ? { etp: p.etp } : {}),
      replicas: p.replicas,
      engine: engineId,
      ...(s.backendVersion ? { engineVersion: s.backendVersion } : {}),
      ...(compiledBatch !== undefined ? { compiledBatch } : {}),
      ...(staticShapes && s.sequenceBuckets ? { sequenceBuckets: s.sequenceBuckets } : {}),
      ...(s.streamInterval ? { streamInterval: s.streamInterval } : {}),
      batching: { policy: s.mode === "static-batch" ? "static" : "continuous", maxBatch, ...(kvAdmission ? { kvAdmission } : {}) },
    };
  };
  const d = s.disaggregated ?? null;
  const colocated = d ? null : pool(s, "serving");
  const slots = d
    ? d.decode.replicas * (d.decode.batch ?? s.batch ?? INFERENCE_DEFAULTS.maxBatch)
    : colocated!.batching.maxBatch * (s.attentionDp ?? 1) * s.replicas;
  // A saturation run's latencies (offline with no published count): the steady state of a server
  // held full, one client per batch slot; see offlineLatencies.
  const concurrency = s.mode === "concurrency" ? s.concurrency : latencies && offlineLatencies(c) ? slots : null;
  if (s.mode === "concurrency" && !concurrency)
    throw new UltrasimError("INVALID_INPUT", "mode concurrency needs the number of clients", { field: "serving.concurrency" });
  // How the group's closed-loop client runs: its requests per client and what it reports, else the
  // steady state of INFERENCE_DEFAULTS.requestsPerClient rounds.
  const client = s.mode === "concurrency" ? closedLoopOf(c.group) : null;
  // A static batch is what the benchmark holds in the whole deployment, routed over its replicas: one
  // request at a time (guidellm's "synchronous") keeps one replica busy however many there are.
  const requests =
    s.mode === "static-batch"
      ? d
        ? slots
        : Math.min(slots, s.batch ?? slots)
      : s.mode === "server"
        ? Math.min(INFERENCE_DEFAULTS.maxRequests, Math.ceil(s.arrivalRatePerSecond! * INFERENCE_DEFAULTS.serverSeconds))
        : concurrency
          ? Math.min(INFERENCE_DEFAULTS.maxRequests, concurrency * (client?.requestsPerClient ?? INFERENCE_DEFAULTS.requestsPerClient))
          : Math.min(INFERENCE_DEFAULTS.maxRequests, s.requests ?? slots * INFERENCE_DEFAULTS.offlineBatchesPerReplica);
  return {
    schemaVersion: 1,
    kind: "serving",
    name: c.id,
    model: c.model,
    ...(d
      ? {
          disaggregated: {
            prefill: pool(d.prefill, "serving.disaggregated.prefill"),
            decode: pool(d.decode, "serving.disaggregated.decode"),
          },
        }
      : { deployment: colocated! }),
    traffic: {
      requests,
      arrival:
        s.mode === "server"
          ? { kind: rateArrivalsOf(c.group), ratePerSecond: s.arrivalRatePerSecond! }
          : concurrency
            ? { kind: "closed-loop", concurrency, ...(client ? { measure: client.measure } : {}) }
            : { kind: "offline" },
      inputTokens: length(s.inputTokens, meanIn),
      outputTokens: length(s.outputTokens, meanOut),
    },
    seed: 1,
  };
}

/**
 * Whether a case's throughput is the sustained rate rather than all tokens over the whole run: a
 * server run (MLPerf runs at least 600 s, so its ramp and drain vanish), a closed loop whose client
 * reports its steady state (benchmark_serving reports the whole run: its output tokens over its
 * duration, ramp and drain included), or an offline run that
 * publishes no request count (MLPerf Offline, which also runs 600 s); a benchmark that publishes its
 * count (trtllm-bench) is simulated whole, drain included.
 */
const sustained = (c: InferenceCase) =>
  c.serving.mode === "server" ||
  (c.serving.mode === "concurrency" && closedLoopOf(c.group)?.measure !== "whole-run") ||
  offlineLatencies(c);

const statisticOf = (stats: LatencyStats | null, statistic: string | null): number | null =>
  stats ? stats[(statistic ?? "mean") as keyof LatencyStats] : null;

export function predictInferenceCase(
  c: InferenceCase,
  catalog: Catalog,
  servingEfficiencies?: ServingEfficiencyEntry[],
  engineOf?: (c: InferenceCase) => string | undefined,
  engines?: ServingEngine[],
): InferenceMetricResult[] {
  const measured = INFERENCE_METRICS.filter((m) => c.measured[m] !== null && c.measured[m] !== undefined);
  const base = (metric: InferenceMetric) => ({
    id: c.id,
    group: c.group,
    systemId: c.system.id,
    chips: c.system.chips,
    metric,
    statistic: metric === "outputTokensPerSecond" ? "total" : (c.measured.statistic ?? "mean"),
    measured: c.measured[metric]!,
  });
  try {
    const run = (latencies: boolean) => {
      const { report } = predictServing(caseScenario(c, engineOf?.(c), latencies), catalog, {
        seriesPoints: 1,
        servingEfficiencies,
        engines,
      });
      if (!report.feasible) throw new UltrasimError("INVALID_INPUT", report.infeasibleReason ?? "infeasible");
      return report;
    };
    // Each run simulated once, and only if a measured figure needs it: a saturation run's latencies
    // come from a run of their own (offlineLatencies).
    const throughputReport = measured.includes("outputTokensPerSecond") ? run(false) : null;
    const latencyReport = measured.some((m) => m !== "outputTokensPerSecond")
      ? offlineLatencies(c)
        ? run(true)
        : (throughputReport ?? run(false))
      : null;
    return measured.map((metric) => {
      const predicted =
        metric === "outputTokensPerSecond"
          ? sustained(c)
            ? throughputReport!.throughput.sustainedOutputTokensPerSecond
            : throughputReport!.throughput.outputTokensPerSecond
          : statisticOf(
              metric === "ttftSeconds" ? latencyReport!.latency.ttftSeconds : latencyReport!.latency.tpotSeconds,
              c.measured.statistic,
            );
      const m = c.measured[metric]!;
      return { ...base(metric), predicted, errorPct: predicted === null ? null : (100 * (predicted - m)) / m };
    });
  } catch (e) {
    if (!(e instanceof UltrasimError)) throw e;
    return measured.map((metric) => ({ ...base(metric), predicted: null, errorPct: null, failure: e.describe() }));
  }
}

export interface InferenceValidationOptions {
  /** Serving efficiencies per chip instead of data/serving-efficiency.json (the fit). */
  servingEfficiencies?: ServingEfficiencyEntry[];
  /** Serving engines instead of data/serving-engines.json (the fit). */
  engines?: ServingEngine[];
  /** The engine a case ran on where it does not say (its group's software in groups.json). */
  engineOf?: (c: InferenceCase) => string | undefined;
  onProgress?: (done: number, total: number) => void;
}

/** Error per metric, per group (in order of appearance) and over all results. */
export function summarizeInferenceResults(results: InferenceMetricResult[]): Omit<InferenceValidationReport, "results"> {
  const asCase = (r: InferenceMetricResult) => ({ ...r, predicted: null, measured: { stepSeconds: r.measured } });
  const summaryOf = (rs: InferenceMetricResult[]) => summarize(rs.map(asCase));
  const metrics: Record<string, ErrorSummary> = {};
  for (const m of INFERENCE_METRICS) {
    const rs = results.filter((r) => r.metric === m);
    if (rs.length) metrics[m] = summaryOf(rs);
  }
  const groups: Record<string, ErrorSummary> = {};
  for (const g of [...new Set(results.map((r) => r.group))]) groups[g] = summaryOf(results.filter((r) => r.group === g));
  return { metrics, groups, summary: summaryOf(results) };
}

/** The engine a case ran: its own v2 backend, else its group's (engineOf), else the default. */
export const engineOfCase = (c: InferenceCase, engineOf?: (c: InferenceCase) => string | undefined): string =>
  c.serving.backend ?? engineOf?.(c) ?? INFERENCE_DEFAULTS.engine;

export function validateInferenceCases(
  cases: InferenceCase[],
  catalog: Catalog,
  options: InferenceValidationOptions = {},
): InferenceValidationReport {
  const { servingEfficiencies, engines, engineOf, onProgress } = options;
  const results = cases.flatMap((c, i) => {
    const rs = predictInferenceCase(c, catalog, servingEfficiencies, engineOf, engines);
    onProgress?.(i + 1, cases.length);
    return rs;
  });
  return { results, ...summarizeInferenceResults(results) };
}

/** The evidence class of a predicted case metric (intervals.ts): its metric, and its system's serving runtime. */
export const inferenceResultEvidenceKey = (r: { metric: string; systemId: string }, catalog: Catalog, moe: boolean): string =>
  inferenceEvidenceKey(r.metric, servingRuntime(catalog, catalog.system(r.systemId).chip), moe);

/**
 * Whether a case is quick to predict: a disaggregated closed loop of more than 256 clients simulates
 * tens of thousands of requests (minutes each), so the tests and the interval fit leave those to
 * `ultrasim validate`.
 */
export const quickToPredict = (c: InferenceCase): boolean => !c.serving.disaggregated || (c.serving.concurrency ?? 0) <= 256;

/** Whether each case (by id) serves a mixture-of-experts model: the evidence class of its results. */
export const moeByCase = (cases: InferenceCase[]): ((id: string) => boolean) => {
  const moe = new Map(cases.map((c) => [c.id, !!c.model.moe]));
  return (id) => moe.get(id) ?? false;
};
