// A sweep file: the fixed settings of a scenario (base), the axes that vary, and filters over the
// points. `ultrasim schema` publishes it as schema/sweep.json. Each point is a train, plan or serve
// scenario: base with one value of every axis set at the axis' field path.
import { Type, type Static, type TSchema } from "@sinclair/typebox";
import { PRICE_KINDS } from "../analytic/cost.js";
import { SystemRef, TrainingScenario } from "../catalog/scenario.js";
import { ModelSpec, PLACEMENTS, RECOMPUTE } from "../catalog/schema.js";
import { ServingScenario } from "../serve/scenario.js";
import { EfficiencySpec } from "../system/efficiency.js";

export const SWEEP_KINDS = ["train", "plan", "serve"] as const;
export type SweepKind = (typeof SWEEP_KINDS)[number];

/** Default cap on the points of one sweep; a sweep file or --max-points sets its own. */
export const DEFAULT_MAX_POINTS = 10_000_000;

/** Prices and power settings of a train or plan point: what `train --price-per-chip-hour --pue ...` sets. */
export const OperationsSpec = Type.Object(
  {
    pue: Type.Optional(Type.Number({ minimum: 1, description: "data-centre PUE (default: AWS's reported 1.15)" })),
    usdPerChipHour: Type.Optional(Type.Number({ minimum: 0, description: "override the price table: dollars per chip-hour" })),
    priceKind: Type.Optional(Type.Union(PRICE_KINDS.map((k) => Type.Literal(k)))),
    gridGco2PerKwh: Type.Optional(Type.Number({ minimum: 0, description: "grid carbon intensity, gCO2 per kWh" })),
  },
  { additionalProperties: false },
);
export type OperationsSpec = Static<typeof OperationsSpec>;

/** A train point: a training scenario, plus prices and power. */
export const TrainPoint = Type.Object(
  { ...TrainingScenario.properties, schemaVersion: Type.Optional(Type.Literal(1)), operations: Type.Optional(OperationsSpec) },
  { additionalProperties: false },
);
export type TrainPoint = Static<typeof TrainPoint>;

const values = <T extends TSchema>(item: T) => Type.Optional(Type.Array(item, { minItems: 1 }));

/** A plan point: what `ultrasim plan` takes for one chip count, and optionally a narrower search space. */
export const PlanPoint = Type.Object(
  {
    schemaVersion: Type.Optional(Type.Literal(1)),
    name: Type.Optional(Type.String()),
    model: Type.Union([Type.String({ description: "a model id from `ultrasim catalog models`" }), ModelSpec]),
    system: SystemRef,
    run: Type.Object(
      {
        seqLen: Type.Integer({ minimum: 1 }),
        globalBatch: Type.Integer({ minimum: 1, description: "sequences per optimizer step" }),
        precision: TrainingScenario.properties.run.properties.precision,
      },
      { additionalProperties: false },
    ),
    objective: Type.Optional(
      Type.Union([Type.Literal("step-time"), Type.Literal("time-to-train"), Type.Literal("cost"), Type.Literal("energy")]),
    ),
    tokens: Type.Optional(Type.Number({ minimum: 1, description: "tokens to train (time-to-train)" })),
    memoryHeadroom: Type.Optional(Type.Number({ minimum: 0, maximum: 0.9, description: "memory kept free; default 0.1" })),
    space: Type.Optional(
      Type.Object(
        {
          tp: values(Type.Integer({ minimum: 1 })),
          pp: values(Type.Integer({ minimum: 1 })),
          cp: values(Type.Integer({ minimum: 1 })),
          ep: values(Type.Integer({ minimum: 1 })),
          vpp: values(Type.Integer({ minimum: 1 })),
          microBatch: values(Type.Integer({ minimum: 1 })),
          zero: values(Type.Union([Type.Literal(0), Type.Literal(1), Type.Literal(2), Type.Literal(3)])),
          recompute: values(Type.Union(RECOMPUTE.map((r) => Type.Literal(r)))),
          sequenceParallel: values(Type.Boolean()),
          placement: values(Type.Union(PLACEMENTS.map((p) => Type.Literal(p)))),
        },
        { additionalProperties: false, description: "the layouts to search (default: every one the chip count and batch allow)" },
      ),
    ),
    framework: TrainingScenario.properties.framework,
    efficiency: Type.Optional(Type.Partial(EfficiencySpec)),
    operations: Type.Optional(OperationsSpec),
  },
  { additionalProperties: false },
);
export type PlanPoint = Static<typeof PlanPoint>;

/** A serve point: a serving scenario (generated traffic; trace files are not swept). */
export const ServePoint = Type.Object(
  { ...ServingScenario.properties, schemaVersion: Type.Optional(Type.Literal(1)) },
  { additionalProperties: false },
);
export type ServePoint = Static<typeof ServePoint>;

export const POINT_SCHEMAS: Record<SweepKind, TSchema> = { train: TrainPoint, plan: PlanPoint, serve: ServePoint };

export const SweepFile = Type.Object(
  {
    schemaVersion: Type.Literal(1),
    name: Type.Optional(Type.String()),
    kind: Type.Union(
      SWEEP_KINDS.map((k) => Type.Literal(k)),
      { description: "what each point is: a train, plan or serve scenario" },
    ),
    base: Type.Record(Type.String(), Type.Unknown(), {
      description: "the fixed settings: a training scenario (train), a plan request (plan) or a serving scenario (serve), less the axes",
    }),
    axes: Type.Record(Type.String(), Type.Array(Type.Unknown()), {
      description:
        "field path (e.g. run.globalBatch, system.chips, operations.usdPerChipHour) -> the values it takes; points are every combination, the last axis varying fastest",
    }),
    filters: Type.Optional(
      Type.Array(Type.String(), {
        description:
          'keep a point only where every expression is true, e.g. "system.chips >= run.globalBatch / 8" or "model != \'llama3-8b\' || system.chips <= 64"',
      }),
    ),
    maxPoints: Type.Optional(
      Type.Integer({ minimum: 1, description: `refuse a sweep of more points than this (default ${DEFAULT_MAX_POINTS})` }),
    ),
  },
  { additionalProperties: false, $id: "https://ultrasim.dev/schema/sweep.json", title: "ultrasim sweep" },
);
export type SweepFile = Static<typeof SweepFile>;

/** A sweep checked and resolved: plain data, so a worker thread can receive it. */
export interface Sweep {
  name: string | null;
  kind: SweepKind;
  base: Record<string, unknown>;
  axes: { name: string; values: unknown[] }[];
  filters: string[];
}
