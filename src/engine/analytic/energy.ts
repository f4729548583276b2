// Energy and carbon of a training step, per token and per run: facility power × time (joules), with
// carbon from a grid intensity the user sets. The serving side calls the same per-token functions.
import { UltrasimError } from "../errors.js";
import { computedFigure, inputFigure, type Figure } from "../report/figure.js";
import type { ClusterPower } from "./power.js";

export const JOULES_PER_KWH = 3.6e6;

/** Energy = power × time. */
export function energyJoules(watts: number, seconds: number): number {
  return watts * seconds;
}

/** Joules per token for a cluster drawing `watts` while producing `tokensPerSecond`. */
export function joulesPerToken(watts: number, tokensPerSecond: number): number {
  return watts / tokensPerSecond;
}

export function checkGridIntensity(gco2PerKwh: number, field = "--grid-gco2-per-kwh"): number {
  if (!Number.isFinite(gco2PerKwh) || gco2PerKwh < 0)
    throw new UltrasimError("INVALID_INPUT", `grid carbon intensity must be a number ≥ 0 gCO2/kWh, got ${gco2PerKwh}`, { field });
  return gco2PerKwh;
}

export interface EnergyReport {
  power: ClusterPower;
  perStep: { joules: Figure; kwh: Figure };
  perToken: { joules: Figure };
  perMillionTokens: { joules: Figure; kwh: Figure };
  gridGco2PerKwh: Figure;
  carbonPerMillionTokensKg: Figure;
  /** Whole run, where a token budget is set: useful work only, or with failures where reliability is on. */
  perRun: { kwh: Figure; carbonTonnes: Figure } | null;
}

export function trainingEnergy(input: {
  power: ClusterPower;
  stepSeconds: number;
  tokensPerStep: number;
  gridGco2PerKwh?: number;
  /** Wall-clock seconds of the whole run (with failures, where known) and what they rest on. */
  run?: { seconds: Figure };
}): EnergyReport {
  const watts = input.power.facilityWatts;
  const stepJ = energyJoules(watts.value!, input.stepSeconds);
  const perStepJ = computedFigure(stepJ, "J", [watts], "facility watts × step time");
  const perStepKwh = computedFigure(stepJ / JOULES_PER_KWH, "kWh", [perStepJ]);
  const perTokenJ = computedFigure(stepJ / input.tokensPerStep, "J", [perStepJ], "energy per step / tokens per step");
  const perMillion = computedFigure((stepJ / input.tokensPerStep) * 1e6, "J", [perTokenJ]);
  const perMillionKwh = computedFigure(perMillion.value! / JOULES_PER_KWH, "kWh", [perMillion]);
  const grid =
    input.gridGco2PerKwh !== undefined
      ? inputFigure(checkGridIntensity(input.gridGco2PerKwh), "gCO2/kWh", "--grid-gco2-per-kwh")
      : { value: null, unit: "gCO2/kWh", from: "input" as const, note: "not set: give --grid-gco2-per-kwh for carbon" };
  const noGrid = grid.value === null ? "no grid intensity: give --grid-gco2-per-kwh" : undefined;
  const carbon = computedFigure(
    grid.value === null ? null : (perMillionKwh.value! * grid.value) / 1000,
    "kg CO2",
    [perMillionKwh, grid],
    noGrid,
  );
  let perRun: EnergyReport["perRun"] = null;
  if (input.run) {
    // The cluster is taken to draw its training power through restarts and lost work too (an upper bound).
    const runKwh = computedFigure(
      energyJoules(watts.value!, input.run.seconds.value!) / JOULES_PER_KWH,
      "kWh",
      [watts, input.run.seconds],
      "facility watts × wall-clock time of the run",
    );
    const runCarbon = computedFigure(grid.value === null ? null : (runKwh.value! * grid.value) / 1e6, "t CO2", [runKwh, grid], noGrid);
    perRun = { kwh: runKwh, carbonTonnes: runCarbon };
  }
  return {
    power: input.power,
    perStep: { joules: perStepJ, kwh: perStepKwh },
    perToken: { joules: perTokenJ },
    perMillionTokens: { joules: perMillion, kwh: perMillionKwh },
    gridGco2PerKwh: grid,
    carbonPerMillionTokensKg: carbon,
    perRun,
  };
}
