// The engine in a Web Worker: the page posts requests with ids, the worker answers with the same
// engine calls the CLI makes, so the numbers are the CLI's. Long searches post progress; the page
// cancels one by terminating this worker and starting a fresh one.
import * as engine from "../../src/index.ts";
import type { PlanRequest, PlanResult, Plan } from "../../src/engine/plan/search.ts";
import type { trainingOperations } from "../../src/engine/report/operationsReport.ts";
import { Value } from "@sinclair/typebox/value";
import { checkScenario } from "./checkScenario.ts";
import { choiceFlag, numberFlag, parseRange } from "../../src/index.ts";
import { servingScenarioOf, sweepRates, type ServeQuery } from "./serveQuery.ts";
import type { ReliabilityQuery } from "./reliabilityQuery.ts";
import type {
  CatalogSummary,
  CompareRow,
  EngineAnswer,
  EngineRequest,
  PlanRow,
  PlanSummary,
  ReliabilityAnswer,
  ScalingPoint,
  ServePlanAnswer,
  ServeCurveAnswer,
  ServeSweep,
  WorkerMessage,
} from "./protocol.ts";

const {
  builtinCatalog,
  predictScenario,
  trainingReport,
  chromeTrace,
  UltrasimError,
  PRECISIONS,
  RECOMPUTE,
  paramCounts,
  scanScale,
  logSpacedCounts,
  estimatedStepSeconds,
  CHECKPOINT_MODES,
  DEFAULT_SEED,
  predictServing,
  ServingScenario,
  BUILTIN_SERVING_ENGINES,
  defaultServingEngine,
  servingRuntime,
} = engine;

/** Bits to bytes, as src/engine/units.ts GBIT_TO_BYTES (not exported from src/index.ts). */
const GBIT_TO_BYTES = 1e9 / 8;

/** Capabilities other engineers are adding: used when src/index.ts exports them, absent otherwise. */
const optional = engine as unknown as {
  plan?: (request: PlanRequest) => PlanResult;
  trainingOperations?: typeof trainingOperations;
  checkClaims?: (c: typeof catalog) => engine.ClaimsReport;
};

/** The report `ultrasim train --json` prints: with energy and cost where the build has them. */
function reportOf(result: engine.TrainingResult) {
  return trainingReport(result, optional.trainingOperations?.(result, catalog, { reliability: false }) ?? null);
}

const catalog = builtinCatalog();
const post = (message: WorkerMessage) => self.postMessage(message);

/**
 * A progress callback for request `id` that posts at most once per percent: the planner reports
 * hundreds of times a second, and each message re-renders the page. `from` and `share` place this
 * search inside a larger one (the scaling curve's chip counts).
 */
function progressOf(id: number, from = 0, share = 1): (done: number) => void {
  let posted = -1;
  return (done) => {
    const total = from + done * share;
    if (total - posted < 0.01 && done < 1) return;
    posted = total;
    post({ id, type: "progress", done: total });
  };
}

function summary(): CatalogSummary {
  const entries = catalog.entries();
  return {
    systems: entries.systems.map((s) => ({
      id: s.id,
      name: s.name,
      chip: s.chip,
      chipsPerSystem: s.chipsPerSystem,
      hbmBytes: catalog.hardware(s.id, {}).hbmBytes,
      defaultFramework: catalog.framework(s.chip).id,
      servingRuntime: servingRuntime(catalog, s.chip),
      defaultServingEngine: defaultServingEngine(catalog, s.chip),
    })),
    servingEngines: BUILTIN_SERVING_ENGINES.map((e) => ({ id: e.id, name: e.name, runtime: e.runtime })),
    frameworks: catalog.listFrameworks().map((f) => ({
      id: f.id,
      name: f.name,
      runtime: f.runtime,
      chips: f.chips?.value ?? null,
      zeroStages: f.zeroStages.value,
    })),
    chips: entries.chips.map((c) => ({ id: c.id, name: withoutVendor(c.name, c.vendor) })),
    models: entries.models.map((m) => ({ id: m.id ?? m.name, name: m.name, parameters: paramCounts(m).total })),
    precisions: PRECISIONS,
    recompute: RECOMPUTE,
    capabilities: { plan: typeof optional.plan === "function", claims: typeof optional.checkClaims === "function" },
    checkpointModes: CHECKPOINT_MODES,
    servingPrecisions: servingPrecisions(),
  };
}

/** "AWS Trainium3" -> "Trainium3", "NVIDIA H100 SXM5 80GB" -> "H100 SXM5 80GB": the vendor's first word dropped. */
function withoutVendor(name: string, vendor: string): string {
  const prefix = `${vendor.split(" ")[0]} `;
  return name.startsWith(prefix) ? name.slice(prefix.length) : name;
}

/** The precisions a serving pool accepts, read from the scenario schema. */
function servingPrecisions(): string[] {
  const pool = ServingScenario.properties.deployment as unknown as { properties: { precision: { anyOf: { const: string }[] } } };
  return pool.properties.precision.anyOf.map((p) => p.const);
}

/** `ultrasim reliability --json`, step for step as src/cli/commands/reliability.ts does it. */
function reliability(q: ReliabilityQuery): ReliabilityAnswer {
  const system = catalog.system(q.system, "--system");
  const model = catalog.model(q.model, "--model");
  const { from, to } = parseRange(q.chips, "--chips");
  const counts = logSpacedCounts(from, to, numberFlag(q.points, "--points") ?? 7);
  const days = numberFlag(q.days, "--days") ?? 30;
  const seed = numberFlag(q.seed, "--seed");
  if (seed !== undefined && !Number.isInteger(seed))
    throw new UltrasimError("INVALID_INPUT", `must be a whole number, got ${seed}`, { field: "--seed" });
  const step = estimatedStepSeconds(
    paramCounts(model).total,
    system.chipsPerSystem,
    catalog.chip(system.chip).peakTflops.bf16.value * 1e12,
  );
  const scan = scanScale(
    {
      chipId: system.chip,
      parameters: paramCounts(model).total,
      peerBytesPerSecond: system.scaleOut.gbpsPerChip.value * GBIT_TO_BYTES,
      checkpoint: choiceFlag(q.checkpoint, "--checkpoint", CHECKPOINT_MODES) ?? "sync",
      hotSpares: numberFlag(q["hot-spares"], "--hot-spares") ?? 0,
      workSeconds: days * 86400,
      intervalSeconds: numberFlag(q["checkpoint-interval"], "--checkpoint-interval"),
      failuresPerChipYear: numberFlag(q["failures-per-chip-year"], "--failures-per-chip-year"),
      seed: seed ?? DEFAULT_SEED,
      // As the CLI without --step-seconds: the intervals are held to at least one (estimated) step.
      stepSeconds: step.value!,
      stepSecondsFigure: step,
    },
    counts,
    { chipId: system.chip, systemId: system.id },
  );
  return { schemaVersion: 1, model: model.id ?? model.name, ...scan };
}

function checkServingScenario(raw: unknown): engine.ServingScenario {
  const error = Value.Errors(ServingScenario, raw).First();
  if (!error) return raw as engine.ServingScenario;
  const field = error.path.replace(/^\//, "").replaceAll("/", ".");
  throw new UltrasimError("INVALID_INPUT", `${error.message}, got ${JSON.stringify(error.value)}`, { field: field || undefined });
}

/** `ultrasim serve FILE --rate R --json` at each rate of the sweep, with progress after each. */
function serveSweep(id: number, query: ServeQuery): ServeSweep {
  const rates = sweepRates(query);
  const scenarios = rates.map((rate) => checkServingScenario(servingScenarioOf(query, rate)));
  return {
    points: scenarios.map((scenario, i) => {
      const { report } = predictServing(scenario, catalog, { capacity: true });
      post({ id, type: "progress", done: (i + 1) / rates.length });
      return { ratePerSecond: rates[i]!, report };
    }),
  };
}

/**
 * `ultrasim serve plan FILE --systems S --objective O --json` on the page's scenario at its detail rate
 * (no systems: the scenario's), within the default chip budget.
 */
function servePlan(id: number, query: ServeQuery): ServePlanAnswer {
  sweepRates(query); // checks the rate, naming it
  const scenario = checkServingScenario(servingScenarioOf(query, Number(query.rate)));
  const named = query["plan-systems"]
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  for (const s of named) catalog.system(s, "plan-systems");
  const objective = query.objective as engine.ServingPlanObjective;
  if (!engine.SERVING_PLAN_OBJECTIVES.includes(objective))
    throw new UltrasimError("INVALID_INPUT", `must be one of ${engine.SERVING_PLAN_OBJECTIVES.join(", ")}, got '${query.objective}'`, {
      field: "objective",
    });
  const notes: string[] = [];
  const candidates = engine.planServing(scenario, catalog, {
    systems: named.length ? named : [scenario.deployment!.system],
    maxChips: engine.DEFAULT_SERVING_PLAN_MAX_CHIPS,
    objective,
    onNote: (note) => notes.push(note),
    onProgress: (done, total) => post({ id, type: "progress", done: done / total }),
  });
  return { objective, best: candidates.find((c) => c.meetsSlo) ?? null, candidates, notes };
}

/** `ultrasim serve FILE --concurrency C1,C2,... --json`: one closed loop per client count, with progress. */
function serveCurve(id: number, query: ServeQuery): ServeCurveAnswer {
  const levels = engine.parseClientCounts(query.clients, "clients");
  sweepRates(query); // checks the rate, naming it
  const scenario = checkServingScenario(servingScenarioOf(query, Number(query.rate)));
  const points = engine.concurrencyCurve(scenario, catalog, levels, {
    onProgress: (done, total) => post({ id, type: "progress", done: done / total }),
  });
  return { points };
}

function describeLayout(p: Plan): string {
  const par = p.parallelism;
  return [
    `tp ${par.tp}`,
    `pp ${par.pp}${(par.vpp ?? 1) > 1 ? `×${par.vpp}` : ""}`,
    `dp ${par.dp}`,
    par.cp > 1 ? `cp ${par.cp}` : "",
    par.ep > 1 ? `ep ${par.ep}` : "",
    `mb ${p.run.microBatch ?? 1}`,
    `ZeRO-${par.zero}`,
    String(par.recompute),
    par.sequenceParallel ? "sp" : "",
  ]
    .filter(Boolean)
    .join(" ");
}

function planRow(p: Plan): PlanRow {
  return {
    chips: p.chips,
    layout: describeLayout(p),
    parallelism: p.parallelism as unknown as Record<string, unknown>,
    microBatch: p.run.microBatch ?? 1,
    stepSeconds: p.prediction.stepSeconds,
    tokensPerSecond: p.prediction.tokensPerSecond,
    mfu: p.prediction.mfu,
    memoryBytes: p.prediction.memory.total,
    capacityBytes: p.prediction.memory.capacity,
    dominantCost: p.dominantCost,
  };
}

function planRequest(raw: unknown, chips: number[], extra: Partial<PlanRequest>): PlanRequest {
  const scenario = checkScenario(raw);
  const model = typeof scenario.model === "string" ? catalog.model(scenario.model) : scenario.model;
  const hw = catalog.hardwareFor(scenario);
  return {
    model,
    hw,
    chips,
    globalBatch: scenario.run.globalBatch,
    seqLen: scenario.run.seqLen,
    precision: scenario.run.precision,
    ...extra,
  };
}

function answer(id: number, request: EngineRequest): EngineAnswer {
  switch (request.kind) {
    case "catalog":
      return summary();
    case "predict": {
      const scenario = checkScenario(request.scenario);
      const result = predictScenario(scenario, catalog, { timeline: Boolean(request.timeline) });
      const report = reportOf(result);
      if (!request.timeline) return { report };
      return { report, trace: chromeTrace(result.prediction, `${result.model.name} on ${scenario.system.chips} × ${result.chipId}`) };
    }
    case "compare": {
      const base = checkScenario(request.scenario);
      return request.systems.map((system): CompareRow => {
        try {
          const moved = engine.scenarioOnSystem(base, system, catalog);
          const result = predictScenario(moved.scenario, catalog);
          result.prediction.assumptions.unshift(...moved.changes);
          return { system, report: reportOf(result), error: null, changes: moved.changes };
        } catch (e) {
          if (e instanceof UltrasimError) return { system, report: null, error: e.describe(), changes: [] };
          throw e;
        }
      });
    }
    case "compareBest": {
      // `ultrasim compare`: each system at the planner's best layout under its default framework.
      if (request.systems.length === 0) throw new UltrasimError("INVALID_INPUT", "pick at least one system", { field: "systems" });
      const base = checkScenario(request.scenario);
      const model = typeof base.model === "string" ? catalog.model(base.model) : base.model;
      return engine.compareSystems(
        {
          model,
          modelRef: typeof base.model === "string" ? base.model : (model.id ?? model.name),
          systems: request.systems,
          baseline: engine.compareBaseline(request.systems),
          chips: base.system.chips,
          globalBatch: base.run.globalBatch,
          seqLen: base.run.seqLen,
          precision: base.run.precision,
          expertLoadImbalance: base.run.expertLoadImbalance,
          tokens: engine.DEFAULT_TRAINING_TOKENS,
          onProgress: progressOf(id),
        },
        catalog,
      );
    }
    case "plan": {
      if (!optional.plan) throw new UltrasimError("INVALID_INPUT", "the planner is not in this build");
      const scenario = checkScenario(request.scenario);
      const result = optional.plan(planRequest(scenario, [scenario.system.chips], { topK: request.topK, onProgress: progressOf(id) }));
      const value: PlanSummary = {
        evaluated: result.evaluated,
        feasible: result.feasible,
        infeasible: result.infeasible,
        plans: result.plans.map(planRow),
        runnerUpNote: result.runnerUpNote,
        notes: result.notes,
      };
      return value;
    }
    case "reliability":
      return reliability(request.query);
    case "serveSweep":
      return serveSweep(id, request.query);
    case "servePlan":
      return servePlan(id, request.query);
    case "serveCurve":
      return serveCurve(id, request.query);
    case "claims":
      if (!optional.checkClaims) throw new UltrasimError("INVALID_INPUT", "the claims report is not in this build");
      return optional.checkClaims(catalog);
    case "scaling": {
      const plan = optional.plan;
      if (!plan) throw new UltrasimError("INVALID_INPUT", "the planner is not in this build");
      // The planner's own search at each chip count (its whole space, its topK), so that the curve and
      // the planner's table agree where they meet.
      const n = request.chips.length;
      return request.chips.map((chips, i): ScalingPoint => {
        const result = plan(planRequest(request.scenario, [chips], { topK: request.topK, onProgress: progressOf(id, i / n, 1 / n) }));
        const best = result.plans[0];
        return { chips, best: best ? planRow(best) : null };
      });
    }
  }
}

self.onmessage = (event: MessageEvent<{ id: number; request: EngineRequest }>) => {
  const { id, request } = event.data;
  try {
    post({ id, type: "result", value: answer(id, request) });
  } catch (e) {
    if (e instanceof UltrasimError) post({ id, type: "error", message: e.describe(), code: e.code });
    else post({ id, type: "error", message: `internal error: ${e instanceof Error ? e.message : String(e)}`, code: "INTERNAL" });
  }
};
