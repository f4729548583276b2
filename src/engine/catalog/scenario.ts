// A training scenario: the model, the system and chip count, the run and the layout. Validation
// cases (../shared/validation/README.md) use the same fields, plus what was measured.
import { Type, type Static } from "@sinclair/typebox";
import { bounded } from "../bounds.js";
import { EfficiencySpec } from "../system/efficiency.js";
import { ModelSpec, ParallelismSpec, RunSpec } from "./schema.js";

export const SystemRef = Type.Object(
  {
    id: Type.String({ description: "a system id from `ultrasim catalog systems`" }),
    chips: Type.Integer({ minimum: 1, ...bounded("chips"), description: "accelerators used in total" }),
    scaleOutGbpsPerChip: Type.Optional(
      Type.Number({ exclusiveMinimum: 0, description: "override the system's scale-out bandwidth per chip" }),
    ),
  },
  { additionalProperties: false },
);
export type SystemRef = Static<typeof SystemRef>;

export const TrainingScenario = Type.Object(
  {
    schemaVersion: Type.Literal(1),
    kind: Type.Optional(Type.Literal("training")),
    name: Type.Optional(Type.String()),
    model: Type.Union([Type.String({ description: "a model id from `ultrasim catalog models`" }), ModelSpec]),
    system: SystemRef,
    run: RunSpec,
    parallelism: ParallelismSpec,
    /** The training framework (ultrasim catalog frameworks); absent: the default for the chip's vendor. */
    framework: Type.Optional(Type.String({ description: "a framework id from `ultrasim catalog frameworks`" })),
    /** Replace any of the chip's efficiencies for this scenario. */
    efficiency: Type.Optional(Type.Partial(EfficiencySpec)),
  },
  { additionalProperties: false, $id: "https://ultrasim.dev/schema/training-scenario.json", title: "ultrasim training scenario" },
);
export type TrainingScenario = Static<typeof TrainingScenario>;

export const TrainingCase = Type.Object(
  {
    schemaVersion: Type.Literal(1),
    id: Type.String(),
    kind: Type.Literal("training"),
    group: Type.String(),
    source: Type.Unknown(),
    system: SystemRef,
    model: ModelSpec,
    run: RunSpec,
    parallelism: ParallelismSpec,
    /** The framework the run used, where the case says; else its group's (groups.json beside the file). */
    framework: Type.Optional(Type.String()),
    measured: Type.Object(
      {
        stepSeconds: Type.Number({ exclusiveMinimum: 0 }),
        /** Peak memory per chip, where the source publishes it (GiB, the largest over the chips). */
        peakMemoryGiB: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
      },
      { additionalProperties: true },
    ),
    assumptions: Type.Optional(Type.Array(Type.String())),
  },
  { additionalProperties: true },
);
export type TrainingCase = Static<typeof TrainingCase>;

/**
 * The built-in default: Llama 3.1 405B pretraining on eight Trn3 UltraServers, in MXFP8 under
 * Trainium3's default framework, TorchTitan Neuron (data/frameworks.json), laid out as `ultrasim plan`
 * ranks first for it: FSDP (ZeRO-3) over 288 replicas of tensor parallelism 4 inside an UltraServer, no
 * pipeline, no recomputation. TorchTitan Neuron does not overlap tensor-parallel communication, so the
 * planner keeps tp small.
 */
export const DEFAULT_TRAINING_SCENARIO: TrainingScenario = {
  schemaVersion: 1,
  name: "Llama 3.1 405B on 8 Trn3 UltraServers (1,152 Trainium3)",
  model: "llama3.1-405b",
  system: { id: "trn3-ultraserver", chips: 1152 },
  run: { seqLen: 8192, globalBatch: 1152, microBatch: 1, precision: "mxfp8" },
  parallelism: { tp: 4, pp: 1, dp: 288, cp: 1, ep: 1, etp: null, vpp: 1, sequenceParallel: true, zero: 3, recompute: "none" },
};
