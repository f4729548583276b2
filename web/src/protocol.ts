// The messages between the page and the engine's Web Worker. Every request carries an id; the worker
// answers with progress (long searches) and then one result or one error for that id.
import type {
  chromeTrace,
  ClaimsReport,
  Comparison,
  ConcurrencyPoint,
  PlanCandidate,
  ScaleScan,
  ServingPlanObjective,
  ServingResult,
  TrainingReport,
} from "../../src/index.ts";
import type { ReliabilityQuery } from "./reliabilityQuery.ts";
import type { ServeQuery } from "./serveQuery.ts";

export interface CatalogSummary {
  /** `defaultFramework`: the framework a scenario on the system runs when it names none (its chip's default). */
  systems: {
    id: string;
    name: string;
    chip: string;
    chipsPerSystem: number;
    hbmBytes: number;
    defaultFramework: string;
    /** The serving runtime of its chip, and the engine a serving scenario on it runs when it names none. */
    servingRuntime: string;
    defaultServingEngine: string;
  }[];
  /** Serving engines (data/serving-engines.json) and the runtime each runs on. */
  servingEngines: { id: string; name: string; runtime: string }[];
  /** Training frameworks (data/frameworks.json), the runtime each runs on (cuda, neuron), the chips it names (null: all of its runtime's) and the ZeRO stages each offers. */
  frameworks: { id: string; name: string; runtime: string; chips: readonly string[] | null; zeroStages: readonly number[] }[];
  /** Chips by id, with the name people write ("Trainium3", "H100 SXM5 80GB": the catalog's, less the vendor). */
  chips: { id: string; name: string }[];
  models: { id: string; name: string; parameters: number }[];
  precisions: readonly string[];
  recompute: readonly string[];
  /** Engine capabilities exported by src/index.ts in this build. */
  capabilities: { plan: boolean; claims: boolean };
  checkpointModes: readonly string[];
  servingPrecisions: readonly string[];
}

export interface PlanRow {
  chips: number;
  layout: string;
  parallelism: Record<string, unknown>;
  microBatch: number;
  stepSeconds: number;
  tokensPerSecond: number;
  mfu: number;
  memoryBytes: number;
  capacityBytes: number;
  dominantCost: string;
}

export interface PlanSummary {
  evaluated: number;
  feasible: number;
  infeasible: Record<string, number>;
  plans: PlanRow[];
  runnerUpNote: string | null;
  /** What the planner says about the request itself (a chip count that is not whole systems). */
  notes: string[];
}

/**
 * Layouts the planner re-predicts exactly and ranks. The scaling curve asks for as many as the
 * planner's table, so that at the same chip count its best layout is the table's first row.
 */
export const PLAN_TOP_K = 5;

export interface ScalingPoint {
  chips: number;
  best: PlanRow | null;
}

export type EngineRequest =
  | { kind: "catalog" }
  | { kind: "predict"; scenario: unknown; timeline?: boolean }
  | { kind: "compare"; scenario: unknown; systems: string[] }
  | { kind: "compareBest"; scenario: unknown; systems: string[] }
  | { kind: "plan"; scenario: unknown; topK: number }
  | { kind: "scaling"; scenario: unknown; chips: number[]; topK: number }
  | { kind: "reliability"; query: ReliabilityQuery }
  | { kind: "serveSweep"; query: ServeQuery }
  | { kind: "servePlan"; query: ServeQuery }
  | { kind: "serveCurve"; query: ServeQuery }
  | { kind: "claims" };

/** What `ultrasim claims --json` prints. */
export type ClaimsAnswer = ClaimsReport;

/** What `ultrasim reliability --json` prints. */
export type ReliabilityAnswer = { schemaVersion: 1; model: string } & ScaleScan;

export type ServingReport = ServingResult["report"];

/** One simulation per arrival rate; each report is what `ultrasim serve FILE --rate R --json` prints. */
export interface ServeSweep {
  points: { ratePerSecond: number; report: ServingReport }[];
}

export interface PredictAnswer {
  report: TrainingReport;
  /** A Chrome trace file (Perfetto), when asked for the timeline. */
  trace?: ReturnType<typeof chromeTrace>;
}

export interface CompareRow {
  system: string;
  report: TrainingReport | null;
  error: string | null;
  /** What the scenario changed to run on this system (engine scenarioOnSystem): its framework, its ZeRO stage. */
  changes: string[];
}

/** What `ultrasim serve plan FILE --json` prints for the Serve page's scenario at its detail rate. */
export interface ServePlanAnswer {
  objective: ServingPlanObjective;
  best: PlanCandidate | null;
  candidates: PlanCandidate[];
  notes: string[];
}

/** What `ultrasim serve FILE --concurrency 1,4,16 --json` prints for the Serve page's scenario. */
export interface ServeCurveAnswer {
  points: ConcurrencyPoint[];
}

/** What `ultrasim compare --json` prints: each system at its best layout (the planner), against the first. */
export type CompareBestAnswer = Comparison;

export type EngineAnswer =
  | CatalogSummary
  | PredictAnswer
  | CompareRow[]
  | CompareBestAnswer
  | PlanSummary
  | ScalingPoint[]
  | ReliabilityAnswer
  | ServeSweep
  | ServePlanAnswer
  | ServeCurveAnswer
  | ClaimsAnswer;

export type WorkerMessage =
  | { id: number; type: "progress"; done: number }
  | { id: number; type: "result"; value: EngineAnswer }
  | { id: number; type: "error"; message: string; code: string };
