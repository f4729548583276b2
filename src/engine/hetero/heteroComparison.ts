// A heterogeneous NVLink Fusion scenario (examples/trn4-rubin-fusion.json) next to what it competes
// with: its pipeline balanced by chip speed against an even split (the bubble cost of imbalance), the
// same pipeline on each chip type alone, compared at equal power (tokens/s per kW of accelerator TDP,
// i.e. a homogeneous cluster scaled in data parallelism to the same power), and serving with prefill on
// one type and decode on the other, the KV cache over the Fusion domain or over EFA.
import { Type, type Static } from "@sinclair/typebox";
import type { Catalog } from "../catalog/catalog.js";
import { checkEntry } from "../catalog/catalog.js";
import { RunSpec } from "../catalog/schema.js";
import { bounded } from "../bounds.js";
import { PoolSpec, ServingScenario } from "../serve/scenario.js";
import { UltrasimError } from "../errors.js";
import { fusionDomain } from "./fusionDomain.js";
import { predictHeteroServing, type HeteroServing } from "./heteroServing.js";
import { predictHeteroTraining, type HeteroRequest, type HeteroTraining } from "./heteroTraining.js";

const closed = { additionalProperties: false } as const;

export const HeteroScenario = Type.Object(
  {
    description: Type.Optional(Type.String()),
    domain: Type.String({ description: "an NVLink Fusion domain id (data/fusion-domains.json)" }),
    training: Type.Object(
      {
        model: Type.String(),
        parts: Type.Array(
          Type.Object(
            {
              system: Type.String(),
              stages: Type.Integer({ minimum: 1, ...bounded("layers") }),
              tp: Type.Integer({ minimum: 1, ...bounded("chips") }),
            },
            closed,
          ),
          { minItems: 1, maxItems: 64 },
        ),
        dp: Type.Integer({ minimum: 1, ...bounded("chips") }),
        run: Type.Object(
          {
            seqLen: RunSpec.properties.seqLen,
            globalBatch: RunSpec.properties.globalBatch,
            microBatch: Type.Integer({ minimum: 1, ...bounded("globalBatch") }),
            precision: RunSpec.properties.precision,
          },
          closed,
        ),
      },
      closed,
    ),
    serving: Type.Optional(
      Type.Object(
        {
          model: Type.String(),
          prefill: PoolSpec,
          decode: PoolSpec,
          traffic: ServingScenario.properties.traffic,
        },
        closed,
      ),
    ),
  },
  { ...closed, $id: "https://ultrasim.dev/schema/hetero-scenario.json", title: "ultrasim heterogeneous NVLink Fusion scenario" },
);
export type HeteroScenario = Static<typeof HeteroScenario>;

export interface HeteroOption {
  name: string;
  training: HeteroTraining;
  /** Sum of the accelerators' TDPs, watts (figures marked estimate or projected in the catalog). */
  acceleratorWatts: number;
  tokensPerSecondPerKilowatt: number;
}

export interface HeteroComparison {
  domain: string;
  balanced: HeteroOption;
  evenSplit: HeteroOption;
  homogeneous: HeteroOption[];
  serving: HeteroServing | null;
  notes: string[];
}

export function compareHetero(raw: unknown, catalog: Catalog): HeteroComparison {
  const scenario = checkEntry<HeteroScenario>(HeteroScenario, raw, "heterogeneous scenario");
  const domain = fusionDomain(scenario.domain);
  const t = scenario.training;
  // Every part runs in the domain the scenario names: its comparison is of that fabric's members.
  const members = domain.members.map((m) => m.system);
  const inDomain = (system: string, field: string) => {
    if (!members.includes(system))
      throw new UltrasimError(
        "INVALID_INPUT",
        `system '${system}' is not a member of the NVLink Fusion domain '${domain.id}' (members: ${members.join(", ")})`,
        { field },
      );
  };
  // A pipeline (or a serving replica) lives inside the domain: its chips of each type are the domain's.
  const fitsDomain = (system: string, chips: number, what: string, field: string) => {
    const member = domain.members.find((m) => m.system === system)!;
    if (chips > member.chips)
      throw new UltrasimError(
        "INVALID_INPUT",
        `${what} takes ${chips} ${system} chips, more than the ${member.chips} the domain '${domain.id}' has`,
        { field },
      );
  };
  t.parts.forEach((p, i) => {
    inDomain(p.system, `training.parts.${i}.system`);
    fitsDomain(p.system, p.stages * p.tp, `a pipeline's part (stages x tp = ${p.stages} x ${p.tp})`, `training.parts.${i}.stages`);
  });
  const model = catalog.model(t.model, "training.model");
  const stages = t.parts.reduce((n, p) => n + p.stages, 0);
  if (stages > model.layers)
    throw new UltrasimError("INVALID_DEGREE", `${stages} pipeline stages in all, more than the model's ${model.layers} layers`, {
      field: "training.parts",
    });
  if (scenario.serving) {
    for (const role of ["prefill", "decode"] as const) {
      const pool = scenario.serving[role];
      inDomain(pool.system, `serving.${role}.system`);
      fitsDomain(pool.system, pool.tp * (pool.pp ?? 1), `a ${role} replica (tp x pp)`, `serving.${role}.tp`);
    }
  }
  const request = (parts: HeteroScenario["training"]["parts"], layersPerStage?: number[]): HeteroRequest => ({
    model,
    parts: parts.map((p) => ({ hw: catalog.hardware(p.system), stages: p.stages, tp: p.tp })),
    dp: t.dp,
    run: t.run,
    layersPerStage,
  });
  const option = (name: string, training: HeteroTraining, parts: HeteroScenario["training"]["parts"]): HeteroOption => {
    const watts = parts.reduce((w, p) => w + p.stages * p.tp * t.dp * catalog.chip(catalog.system(p.system).chip).tdpW.value, 0);
    return { name, training, acceleratorWatts: watts, tokensPerSecondPerKilowatt: training.tokensPerSecond / (watts / 1000) };
  };
  const balanced = option("balanced by chip speed", predictHeteroTraining(request(t.parts)), t.parts);
  const even = Array.from({ length: stages }, (_, s) => Math.floor(model.layers / stages) + (s < model.layers % stages ? 1 : 0));
  const evenSplit = option("layers split evenly", predictHeteroTraining(request(t.parts, even)), t.parts);
  const homogeneous = [...new Set(t.parts.map((p) => p.system))].map((system) => {
    const tp = t.parts.find((p) => p.system === system)!.tp;
    const parts = [{ system, stages, tp }];
    return option(`all ${catalog.system(system).chip}`, predictHeteroTraining(request(parts)), parts);
  });
  let serving: HeteroServing | null = null;
  if (scenario.serving) {
    const s = scenario.serving;
    serving = predictHeteroServing(
      {
        scenario: { schemaVersion: 1, model: s.model, traffic: s.traffic } as HeteroServingScenario,
        prefill: s.prefill,
        decode: s.decode,
      },
      catalog,
    );
  }
  return {
    domain: domain.id,
    balanced,
    evenSplit,
    homogeneous,
    serving,
    notes: [
      "Equal power: tokens/s per kW of accelerator TDP stands for a homogeneous cluster grown or shrunk in data parallelism to the same power (throughput assumed linear in data parallelism).",
      "Trainium4 figures are projected from AWS's announced multipliers and Rubin's are announced, not measured; TDPs are estimates (ultrasim catalog chips).",
      "No public price exists for either system, so no equal-cost comparison is made.",
    ],
  };
}

type HeteroServingScenario = Parameters<typeof predictHeteroServing>[0]["scenario"];
