// The engine in a Web Worker: the page posts requests with ids, the worker answers with the same
// engine calls the CLI makes, so the numbers are the CLI's. Long searches post progress; the page
// cancels one by terminating this worker and starting a fresh one.
import * as engine from "../../src/index.ts";
import type { PlanRequest, PlanResult, Plan } from "../../src/engine/plan/search.ts";
import type { trainingOperations } from "../../src/engine/report/operationsReport.ts";
import { checkScenario } from "./checkScenario.ts";
import type {
  CatalogSummary,
  CompareRow,
  EngineAnswer,
  EngineRequest,
  PlanRow,
  PlanSummary,
  ScalingPoint,
  WorkerMessage,
} from "./protocol.ts";

const { builtinCatalog, predictScenario, trainingReport, chromeTrace, UltrasimError, PRECISIONS, RECOMPUTE, paramCounts } = engine;

/** Capabilities other engineers are adding: used when src/index.ts exports them, absent otherwise. */
const optional = engine as unknown as {
  plan?: (request: PlanRequest) => PlanResult;
  trainingOperations?: typeof trainingOperations;
};

/** The report `ultrasim train --json` prints: with energy and cost where the build has them. */
function reportOf(result: engine.TrainingResult) {
  return trainingReport(result, optional.trainingOperations?.(result, catalog, { reliability: false }) ?? null);
}

const catalog = builtinCatalog();
const post = (message: WorkerMessage) => self.postMessage(message);

function summary(): CatalogSummary {
  const entries = catalog.entries();
  return {
    systems: entries.systems.map((s) => ({
      id: s.id,
      name: s.name,
      chip: s.chip,
      chipsPerSystem: s.chipsPerSystem,
      hbmBytes: catalog.hardware(s.id, {}).hbmBytes,
    })),
    models: entries.models.map((m) => ({ id: m.id ?? m.name, name: m.name, parameters: paramCounts(m).total })),
    precisions: PRECISIONS,
    recompute: RECOMPUTE,
    capabilities: { plan: typeof optional.plan === "function" },
  };
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
  const hw = catalog.hardware(scenario.system.id, scenario.efficiency ?? {}, scenario.system.scaleOutGbpsPerChip);
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
          const result = predictScenario({ ...base, system: { ...base.system, id: system } }, catalog);
          return { system, report: reportOf(result), error: null };
        } catch (e) {
          if (e instanceof UltrasimError) return { system, report: null, error: e.describe() };
          throw e;
        }
      });
    }
    case "plan": {
      if (!optional.plan) throw new UltrasimError("INVALID_INPUT", "the planner is not in this build");
      const scenario = checkScenario(request.scenario);
      const result = optional.plan(
        planRequest(scenario, [scenario.system.chips], { topK: request.topK, onProgress: (done) => post({ id, type: "progress", done }) }),
      );
      const value: PlanSummary = {
        evaluated: result.evaluated,
        feasible: result.feasible,
        infeasible: result.infeasible,
        plans: result.plans.map(planRow),
        runnerUpNote: result.runnerUpNote,
      };
      return value;
    }
    case "scaling": {
      const plan = optional.plan;
      if (!plan) throw new UltrasimError("INVALID_INPUT", "the planner is not in this build");
      // The common layout choices only, so that a curve over many chip counts comes back in seconds.
      const space = { zero: [1 as const], recompute: ["selective" as const], microBatch: [1], vpp: [1, 2, 4, 8] };
      return request.chips.map((chips, i): ScalingPoint => {
        const result = plan(
          planRequest(request.scenario, [chips], {
            topK: 1,
            exactCandidates: 4,
            space,
            onProgress: (done) => post({ id, type: "progress", done: (i + done) / request.chips.length }),
          }),
        );
        post({ id, type: "progress", done: (i + 1) / request.chips.length });
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
