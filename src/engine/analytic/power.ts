// Power of a cluster at a given utilization: each chip's idle power plus a dynamic share that grows
// with compute and memory utilization up to its TDP, the per-chip shares of HBM, host, networks and
// fans in its server or rack, and the data centre's PUE on top. Figures and their sources:
// data/power.json.
import { Type, type Static } from "@sinclair/typebox";
import powerData from "../../../data/power.json" with { type: "json" };
import { checkEntry } from "../catalog/catalog.js";
import { Sourced, type ChipSpec } from "../catalog/schema.js";
import { UltrasimError } from "../errors.js";
import { computedFigure, inputFigure, sourcedFigure, type Figure } from "../report/figure.js";

export const SystemPowerClass = Type.Object(
  {
    id: Type.String(),
    systems: Type.Array(Type.String()),
    hbmWattsPerChip: Sourced,
    hostWattsPerChip: Sourced,
    scaleUpNetworkWattsPerChip: Sourced,
    scaleOutNetworkWattsPerChip: Sourced,
    fansWattsPerChip: Sourced,
  },
  { additionalProperties: false },
);
export type SystemPowerClass = Static<typeof SystemPowerClass>;

export const PowerData = Type.Object(
  {
    pue: Sourced,
    chipModel: Type.Object({ idleFractionOfTdp: Sourced, hfuAtTdp: Sourced, memoryWeight: Sourced }, { additionalProperties: false }),
    systemClasses: Type.Array(SystemPowerClass, { minItems: 1 }),
    defaultClass: Type.String(),
  },
  { additionalProperties: false },
);
export type PowerData = Static<typeof PowerData>;

let builtin: PowerData | undefined;
export function builtinPowerData(): PowerData {
  builtin ??= checkEntry<PowerData>(PowerData, powerData, "data/power.json");
  return builtin;
}

/**
 * One chip's power: idle + (TDP − idle) · min(1, hfu / hfuAtTdp + memoryWeight · memoryUtilization).
 * `hfu` is the hardware FLOP utilization over the step; `memoryUtilization` the share of the step the
 * chip streams HBM at full bandwidth.
 */
export function chipPowerWatts(
  tdpWatts: number,
  utilization: { hfu: number; memoryUtilization: number },
  model: { idleFractionOfTdp: number; hfuAtTdp: number; memoryWeight: number },
): number {
  const idle = tdpWatts * model.idleFractionOfTdp;
  const dynamicShare = Math.min(1, utilization.hfu / model.hfuAtTdp + model.memoryWeight * utilization.memoryUtilization);
  return idle + (tdpWatts - idle) * Math.max(0, dynamicShare);
}

export function checkPue(pue: number, field = "--pue"): number {
  if (!Number.isFinite(pue) || pue < 1)
    throw new UltrasimError("INVALID_INPUT", `PUE must be at least 1 (facility power over IT power), got ${pue}`, { field });
  return pue;
}

export function systemPowerClass(systemId: string, data: PowerData = builtinPowerData()): SystemPowerClass {
  const own = data.systemClasses.find((c) => c.systems.includes(systemId));
  return own ?? data.systemClasses.find((c) => c.id === data.defaultClass)!;
}

export interface ClusterPower {
  /** Watts per chip, by part, before PUE. */
  perChip: {
    accelerator: Figure;
    hbm: Figure;
    host: Figure;
    scaleUpNetwork: Figure;
    scaleOutNetwork: Figure;
    fans: Figure;
    it: Figure;
  };
  pue: Figure;
  /** Facility watts for the whole cluster: chips × IT watts per chip × PUE. */
  facilityWatts: Figure;
  /** The power class used for the system's shares, and whether the system was listed in it. */
  powerClass: string;
  notes: string[];
}

export function clusterPower(input: {
  chip: ChipSpec;
  systemId: string;
  chips: number;
  hfu: number;
  memoryUtilization: number;
  pue?: number;
  data?: PowerData;
}): ClusterPower {
  const data = input.data ?? builtinPowerData();
  const m = data.chipModel;
  const tdp = sourcedFigure(`${input.chip.id} TDP`, input.chip.tdpW, "W");
  const idle = sourcedFigure("idle fraction of TDP", m.idleFractionOfTdp, "");
  const hfuAtTdp = sourcedFigure("HFU at TDP", m.hfuAtTdp, "");
  const memoryWeight = sourcedFigure("memory share of dynamic power", m.memoryWeight, "");
  const chipW = chipPowerWatts(input.chip.tdpW.value, input, {
    idleFractionOfTdp: m.idleFractionOfTdp.value,
    hfuAtTdp: m.hfuAtTdp.value,
    memoryWeight: m.memoryWeight.value,
  });
  const accelerator = computedFigure(
    chipW,
    "W",
    [tdp, idle, hfuAtTdp, memoryWeight],
    `idle + (TDP − idle) · min(1, HFU ${input.hfu.toFixed(3)} / HFU at TDP + memory weight · memory utilization ${input.memoryUtilization.toFixed(3)})`,
  );
  const cls = systemPowerClass(input.systemId, data);
  const hbm = sourcedFigure("HBM power", cls.hbmWattsPerChip, "W");
  const host = sourcedFigure("host power per chip", cls.hostWattsPerChip, "W");
  const scaleUpNetwork = sourcedFigure("scale-up network power per chip", cls.scaleUpNetworkWattsPerChip, "W");
  const scaleOutNetwork = sourcedFigure("scale-out network power per chip", cls.scaleOutNetworkWattsPerChip, "W");
  const fans = sourcedFigure("fan and cooling power per chip", cls.fansWattsPerChip, "W");
  const parts = [accelerator, hbm, host, scaleUpNetwork, scaleOutNetwork, fans];
  const itW = parts.reduce((s, f) => s + f.value!, 0);
  const it = computedFigure(itW, "W", parts, "sum of the parts");
  const pue = input.pue !== undefined ? inputFigure(checkPue(input.pue), "", "--pue") : sourcedFigure("PUE", data.pue, "");
  const facilityWatts = computedFigure(input.chips * itW * pue.value!, "W", [it, pue], "chips × IT watts per chip × PUE");
  const notes = cls.systems.includes(input.systemId)
    ? []
    : [`no power data for system ${input.systemId}: host, network and fan shares of the '${cls.id}' class used`];
  return { perChip: { accelerator, hbm, host, scaleUpNetwork, scaleOutNetwork, fans, it }, pue, facilityWatts, powerClass: cls.id, notes };
}
