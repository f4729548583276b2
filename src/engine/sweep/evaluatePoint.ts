// One point of a sweep, predicted: its scenario built from the base and the axes, run through the
// training predictor, the planner or the serving simulator, and flattened into a row of cells in
// sweepColumns' order. A point the engine rejects (degrees that do not multiply to the chips, no
// layout that fits) is a row with its error, not a crash: the sweep goes on.
import type { Catalog } from "../catalog/catalog.js";
import type { TrainingScenario } from "../catalog/scenario.js";
import { UltrasimError } from "../errors.js";
import { plan } from "../plan/search.js";
import { trainingOperations } from "../report/operationsReport.js";
import { predictServing } from "../serve/serve.js";
import type { ServingScenario } from "../serve/scenario.js";
import { predictScenario } from "../train.js";
import { axisCell, OUTPUT_COLUMNS, sweepColumns, type Cell, type Column } from "./sweepColumns.js";
import type { PlanPoint, Sweep, TrainPoint } from "./sweepFile.js";
import { axisValuesAt, pointScenario } from "./sweepPoints.js";

type Outputs = Record<string, Cell>;

function trainOutputs(point: TrainPoint, catalog: Catalog): Outputs {
  const { operations, ...rest } = point;
  const scenario = { ...rest, schemaVersion: 1 } as TrainingScenario;
  const result = predictScenario(scenario, catalog);
  const p = result.prediction;
  const ops = trainingOperations(result, catalog, operations ?? {});
  return {
    feasible: p.memory.fits,
    stepSeconds: p.stepSeconds,
    tokensPerSecond: p.tokensPerSecond,
    tokensPerSecondPerChip: p.tokensPerSecondPerChip,
    mfu: p.mfu,
    hfu: p.hfu,
    memoryBytesPerChip: p.memory.total,
    memoryCapacityBytes: p.memory.capacity,
    memoryFits: p.memory.fits,
    computeSeconds: p.breakdown.compute,
    tensorParallelSeconds: p.breakdown.tensorParallel,
    contextParallelSeconds: p.breakdown.contextParallel,
    expertParallelSeconds: p.breakdown.expertParallel,
    pipelineParallelSeconds: p.breakdown.pipelineParallel,
    pipelineBubbleSeconds: p.breakdown.pipelineBubble,
    dataParallelSeconds: p.breakdown.dataParallel,
    optimizerSeconds: p.breakdown.optimizer,
    facilityWatts: ops.energy.power.facilityWatts.value,
    usdPerMillionTokens: ops.cost.perMillionTokensUsd.value,
    kwhPerMillionTokens: ops.energy.perMillionTokens.kwh.value,
    kgCo2PerMillionTokens: ops.energy.carbonPerMillionTokensKg.value,
  };
}

function planOutputs(point: PlanPoint, catalog: Catalog): Outputs {
  const model = typeof point.model === "string" ? catalog.model(point.model) : point.model;
  const hw = catalog.hardwareFor(point);
  const operations = point.operations ?? {};
  const result = plan({
    model,
    hw,
    chips: [point.system.chips],
    globalBatch: point.run.globalBatch,
    seqLen: point.run.seqLen,
    precision: point.run.precision,
    objective: point.objective,
    tokens: point.tokens,
    memoryHeadroom: point.memoryHeadroom ?? 0.1,
    topK: 1,
    space: point.space,
    // $ and J per 1M tokens, as `ultrasim plan` reports them.
    operations: (p) => {
      const scenario: TrainingScenario = {
        schemaVersion: 1,
        model,
        system: { ...point.system, chips: p.chips },
        run: p.run,
        parallelism: p.parallelism,
      };
      const ops = trainingOperations(
        { scenario, model, systemId: hw.system.id, chipId: hw.chip.id, prediction: p.prediction },
        catalog,
        operations,
      );
      return { usdPerMillionTokens: ops.cost.perMillionTokensUsd.value, joulesPerMillionTokens: ops.energy.perMillionTokens.joules.value };
    },
  });
  const best = result.plans[0];
  const counts = { layoutsEvaluated: result.evaluated, layoutsFeasible: result.feasible };
  if (!best) {
    const reasons = Object.entries(result.infeasible)
      .filter(([, n]) => n > 0)
      .map(([reason, n]) => `${reason} ${n}`)
      .join(", ");
    return { ...counts, feasible: false, error: `no layout fits (${reasons || "no layouts"})` };
  }
  const par = best.parallelism;
  return {
    ...counts,
    feasible: true,
    tp: par.tp,
    pp: par.pp,
    dp: par.dp,
    cp: par.cp,
    ep: par.ep,
    vpp: par.vpp ?? 1,
    microBatch: best.run.microBatch,
    zero: par.zero,
    recompute: par.recompute,
    sequenceParallel: par.sequenceParallel,
    stepSeconds: best.prediction.stepSeconds,
    tokensPerSecond: best.prediction.tokensPerSecond,
    mfu: best.prediction.mfu,
    memoryBytesPerChip: best.prediction.memory.total,
    memoryCapacityBytes: best.prediction.memory.capacity,
    timeToTrainSeconds: best.timeToTrainSeconds,
    usdPerMillionTokens: best.operations?.usdPerMillionTokens ?? null,
    joulesPerMillionTokens: best.operations?.joulesPerMillionTokens ?? null,
    dominantCost: best.dominantCost,
  };
}

function serveOutputs(point: ServingScenario, catalog: Catalog): Outputs {
  if (point.traffic.trace !== undefined)
    throw new UltrasimError("INVALID_INPUT", "a sweep generates its traffic: give requests, arrival and token lengths, not a trace file", {
      field: "traffic.trace",
    });
  const r = predictServing({ ...point, schemaVersion: 1 }, catalog).report;
  return {
    feasible: r.feasible,
    error: r.infeasibleReason,
    chips: r.chips,
    requestsCompleted: r.requests.completed,
    requestsRejected: r.requests.rejected,
    outputTokensPerSecond: r.throughput.outputTokensPerSecond,
    outputTokensPerSecondPerChip: r.throughput.outputTokensPerSecondPerChip,
    requestsPerSecond: r.throughput.requestsPerSecond,
    ttftP50Seconds: r.latency.ttftSeconds?.p50 ?? null,
    ttftP99Seconds: r.latency.ttftSeconds?.p99 ?? null,
    tpotP50Seconds: r.latency.tpotSeconds?.p50 ?? null,
    tpotP99Seconds: r.latency.tpotSeconds?.p99 ?? null,
    e2eP50Seconds: r.latency.e2eSeconds?.p50 ?? null,
    e2eP99Seconds: r.latency.e2eSeconds?.p99 ?? null,
    fractionMeetingSlo: r.goodput?.fractionMeetingSlo ?? null,
    usdPerMillionTokens: r.cost.usdPerMillionTokens,
    joulesPerToken: r.cost.joulesPerToken,
  };
}

/** A finite number stays; NaN and infinities (a figure with no meaning here) become null. */
const cell = (v: Cell | undefined): Cell => (v === undefined || (typeof v === "number" && !Number.isFinite(v)) ? null : v);

/** The result row of the point at `productIndex`, numbered `point`. */
export function evaluatePoint(
  sweep: Sweep,
  point: number,
  productIndex: number,
  catalog: Catalog,
  columns: Column[] = sweepColumns(sweep),
): Cell[] {
  const values = axisValuesAt(sweep, productIndex);
  const scenario = pointScenario(sweep, values);
  let outputs: Outputs;
  try {
    if (sweep.kind === "train") outputs = trainOutputs(scenario as TrainPoint, catalog);
    else if (sweep.kind === "plan") outputs = planOutputs(scenario as PlanPoint, catalog);
    else outputs = serveOutputs(scenario as ServingScenario, catalog);
  } catch (e) {
    if (!(e instanceof UltrasimError)) throw e;
    outputs = { feasible: false, error: `${e.where.field ? `${e.where.field}: ` : ""}${e.message}` };
  }
  const row: Cell[] = [point];
  sweep.axes.forEach((_, a) => row.push(axisCell(values[a], columns[a + 1]!.type)));
  for (const c of OUTPUT_COLUMNS[sweep.kind]) row.push(cell(outputs[c.name]));
  return row;
}
