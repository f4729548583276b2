// The library's public entry point: everything the CLI does, as typed functions. Pure TypeScript with
// no Node APIs, so it runs in Node, in worker threads and in the browser.
export { builtinCatalog } from "./engine/catalog/builtin.js";
export { Catalog, type CatalogEntries } from "./engine/catalog/catalog.js";
export { DEFAULT_TRAINING_SCENARIO, TrainingCase, TrainingScenario, SystemRef } from "./engine/catalog/scenario.js";
export {
  ChipSpec,
  ModelSpec,
  MoeSpec,
  MlaSpec,
  ParallelismSpec,
  RunSpec,
  SystemSpec,
  Sourced,
  PRECISIONS,
  RECOMPUTE,
  PLACEMENTS,
  type Precision,
  type Recompute,
} from "./engine/catalog/schema.js";
export { UltrasimError, type ErrorCode, type InputLocation } from "./engine/errors.js";
export { predictScenario, scenarioOnSystem, type TrainingResult } from "./engine/train.js";
export {
  predictTraining,
  type TrainingInput,
  type TrainingPrediction,
  type StepBreakdown,
  type MemoryBreakdown,
  type TimelineSlice,
} from "./engine/analytic/trainingStep.js";
export { trainingReport, type TrainingReport } from "./engine/report/trainingReport.js";
export { chromeTrace, type TraceEvent } from "./engine/report/chromeTrace.js";
export {
  validateCases,
  predictCase,
  summarize,
  percentile,
  type CaseResult,
  type ErrorSummary,
  type ValidationReport,
} from "./engine/validate/validation.js";
export { buildHardware, peakFlopsPerSecond, type Hardware, type NetworkLevel } from "./engine/system/hardware.js";
export { EfficiencySpec, EfficiencyEntry, PRIOR_EFFICIENCY, type Efficiency } from "./engine/system/efficiency.js";
export {
  allReduceSeconds,
  allGatherSeconds,
  reduceScatterSeconds,
  allToAllSeconds,
  expertDispatchSeconds,
  sendSeconds,
  ringAllReduceBytesPerRank,
  ringAllGatherBytesPerRank,
  levelFactors,
  type GroupPlacement,
} from "./engine/network/collectives.js";
export { paramCounts, forwardFlopsPerSequence, attentionDims, layerParams, meanAttendedKeys } from "./engine/workload/transformer.js";
export {
  layerActivationBytes,
  stateBytes,
  stageParams,
  MODERN_ACTIVATIONS,
  KORTHIKANTI_ACTIVATIONS,
  type ActivationOptions,
} from "./engine/analytic/memory.js";
export {
  simulatePipeline,
  stageOrder,
  uniformPipelineSeconds,
  type PipelineInput,
  type PipelineResult,
} from "./engine/des/pipelineSchedule.js";
export { resolveLayout, layersPerVirtualStage, type Layout } from "./engine/plan/layout.js";
export { trainingOperations, DEFAULT_RUN_DAYS, type OperationsOptions, type TrainingOperations } from "./engine/report/operationsReport.js";
export { type Figure, type FigureOrigin } from "./engine/report/figure.js";
export { clusterPower, chipPowerWatts, builtinPowerData, PowerData, type ClusterPower } from "./engine/analytic/power.js";
export { trainingEnergy, energyJoules, joulesPerToken, JOULES_PER_KWH, type EnergyReport } from "./engine/analytic/energy.js";
export {
  priceFor,
  builtinPrices,
  trainingCost,
  usdPerMillionTokens,
  PriceEntry,
  PRICE_KINDS,
  type PriceKind,
  type PriceChoice,
  type CostReport,
} from "./engine/analytic/cost.js";
export { predictReliability, DEFAULT_SEED, type ReliabilityInput, type ReliabilityReport } from "./engine/reliability/reliability.js";
export { failureRates, builtinReliabilityData, ReliabilityData } from "./engine/reliability/failureRates.js";
export { checkpointCosts, CHECKPOINT_MODES, type CheckpointMode } from "./engine/reliability/checkpoint.js";
export { youngDalyIntervalSeconds, closedFormGoodput } from "./engine/reliability/goodput.js";
export { simulateRun, type MonteCarloResult } from "./engine/reliability/monteCarlo.js";
export { scanScale, logSpacedCounts, estimatedStepSeconds, type ScaleScan } from "./engine/reliability/scaleScan.js";
export { seededRandom, type Random } from "./engine/random.js";
export {
  plan,
  whyLost,
  type Plan,
  type PlanRequest,
  type PlanResult,
  type PlanObjective,
  type SearchSpace,
  type InfeasibleReason,
} from "./engine/plan/search.js";
export { parseChipCounts } from "./engine/plan/chipCounts.js";
export { estimateStep, estimateLayout, type StepEstimate } from "./engine/analytic/trainingStep.js";
export { predictServing, scenarioRequests, type ServingOptions, type ServingResult } from "./engine/serve/serve.js";
export { concurrencyCurve, parseClientCounts, type ConcurrencyPoint } from "./engine/serve/concurrencyCurve.js";
export {
  DEFAULT_SERVING_PLAN_MAX_CHIPS,
  planServing,
  SERVING_PLAN_OBJECTIVES,
  type PlanCandidate,
  type PlanOptions,
  type ServingPlanObjective,
} from "./engine/serve/plan.js";
export { BUILTIN_SERVING_ENGINES, type ServingEngine } from "./engine/serve/engines.js";
export { defaultServingEngine, servingRuntime, type ServingRuntime } from "./engine/serve/deployment.js";
export { ServingScenario } from "./engine/serve/scenario.js";
export { collectiveLevels, type ScaleOutTier } from "./engine/system/hardware.js";
export { ScaleOutNetwork, scaleOutTiers } from "./engine/system/scaleOutNetwork.js";
export { scaleCurve, batchAt, type ScaleCurve, type ScalePoint, type ScaleRequest, type BatchScaling } from "./engine/scale/scaleCurve.js";
export {
  compareBaseline,
  compareSystems,
  DEFAULT_TRAINING_TOKENS,
  type Comparison,
  type CompareRow,
  type CompareRequest,
} from "./engine/compare/compareSystems.js";
export { checkClaims, type ClaimsReport, type ClaimCheck, type Verdict } from "./engine/claims/claims.js";
export { claimsMarkdown } from "./engine/claims/claimsMarkdown.js";
export { predictHeteroTraining, type HeteroRequest, type HeteroTraining, type HeteroPart } from "./engine/hetero/heteroTraining.js";
export { predictHeteroServing, type HeteroServing } from "./engine/hetero/heteroServing.js";
export { fusionDomain, FusionDomain } from "./engine/hetero/fusionDomain.js";
export { numberFlag, choiceFlag, parseRange, parseSlo, type Slo } from "./engine/flagSyntax.js";
