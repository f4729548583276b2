// Failure rates per component, calibrated on published fleet data (data/reliability.json): each
// component's interruptions in Meta's Llama 3 405B run over its chip-time (16,384 H100 × 54 days).
// Rates are per chip: host, NIC and switch counts are spread over the GPUs they served.
import { Type, type Static } from "@sinclair/typebox";
import reliabilityData from "../../../data/reliability.json" with { type: "json" };
import { checkEntry } from "../catalog/catalog.js";
import { Sourced } from "../catalog/schema.js";
import { UltrasimError } from "../errors.js";
import { computedFigure, inputFigure, sourcedFigure, type Figure } from "../report/figure.js";

export const SECONDS_PER_DAY = 86400;
export const SECONDS_PER_YEAR = 365 * SECONDS_PER_DAY;

export const ReliabilityData = Type.Object(
  {
    calibration: Type.Object(
      {
        id: Type.String(),
        description: Type.String(),
        chips: Sourced,
        days: Sourced,
        unexpectedInterruptions: Sourced,
        effectiveTrainingTime: Sourced,
        chipsCalibrated: Type.Array(Type.String()),
      },
      { additionalProperties: false },
    ),
    components: Type.Array(
      Type.Object(
        { id: Type.String(), name: Type.String(), hardware: Type.Boolean(), interruptions: Sourced },
        { additionalProperties: false },
      ),
      { minItems: 1 },
    ),
    restart: Type.Object(
      { detectionSeconds: Sourced, rescheduleSeconds: Sourced, spareSwapSeconds: Sourced, initSeconds: Sourced },
      { additionalProperties: false },
    ),
    checkpoint: Type.Object(
      {
        bytesPerParameter: Sourced,
        storageWriteTBps: Sourced,
        storageReadTBps: Sourced,
        writeGBpsPerChip: Sourced,
        hostCopyGBpsPerChip: Sourced,
      },
      { additionalProperties: false },
    ),
    fleet: Type.Array(
      Type.Object(
        { id: Type.String(), description: Type.String(), chips: Type.Integer({ minimum: 1 }), system: Type.String(), jobUptime: Sourced },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
export type ReliabilityData = Static<typeof ReliabilityData>;

let builtin: ReliabilityData | undefined;
export function builtinReliabilityData(): ReliabilityData {
  builtin ??= checkEntry<ReliabilityData>(ReliabilityData, reliabilityData, "data/reliability.json");
  return builtin;
}

export interface ComponentRate {
  id: string;
  name: string;
  hardware: boolean;
  /** Interruptions per chip-second. */
  perChipSecond: Figure;
}

export function checkFailureRate(perChipYear: number, field = "--failures-per-chip-year"): number {
  if (!Number.isFinite(perChipYear) || perChipYear <= 0)
    throw new UltrasimError(
      "INVALID_INPUT",
      `a failure rate must be a positive number of interruptions per chip-year (e.g. 0.173, Llama 3's), got ${perChipYear}`,
      { field },
    );
  return perChipYear;
}

/**
 * The calibration fleet's interruptions: the components' counts summed, over its chips and days. The
 * total rate is derived from it exactly as each component's rate is from its own count, so the two agree.
 */
export function fleetInterruptions(data: ReliabilityData = builtinReliabilityData()): {
  interruptions: number;
  chips: number;
  days: number;
  description: string;
} {
  const c = data.calibration;
  const interruptions = data.components.reduce((s, x) => s + x.interruptions.value, 0);
  return {
    interruptions,
    chips: c.chips.value,
    days: c.days.value,
    description: `${interruptions} interruptions / (${c.chips.value} chips × ${c.days.value} days)`,
  };
}

/**
 * Interruption rates per chip-second, by component. Chips outside the calibration set borrow the
 * H100 fleet's rates, marked as an estimate. `failuresPerChipYear` scales all components to that total.
 */
export function failureRates(chipId: string, options: { failuresPerChipYear?: number; data?: ReliabilityData } = {}): ComponentRate[] {
  const data = options.data ?? builtinReliabilityData();
  const c = data.calibration;
  const chips = sourcedFigure("calibration chips", c.chips, "chips");
  const days = sourcedFigure("calibration days", c.days, "d");
  const exposure = c.chips.value * c.days.value * SECONDS_PER_DAY;
  const calibrated = c.chipsCalibrated.includes(chipId);
  const borrowed: (Figure & { name: string })[] = calibrated
    ? []
    : [
        {
          name: `failure rates of ${chipId} (borrowed from the ${c.id} H100 fleet)`,
          value: 1,
          unit: "",
          from: "estimate",
          source: c.chips.source,
          note: `no published per-component failure data for ${chipId}`,
        },
      ];
  const total = data.components.reduce((s, x) => s + x.interruptions.value, 0);
  let scale: Figure[] = [];
  let factor = 1;
  if (options.failuresPerChipYear !== undefined) {
    const given = checkFailureRate(options.failuresPerChipYear);
    factor = given / ((total / exposure) * SECONDS_PER_YEAR);
    scale = [inputFigure(given, "1/chip-year", "--failures-per-chip-year: all components scaled to this total")];
  }
  return data.components.map((x) => {
    const count = sourcedFigure(`${x.id} interruptions`, x.interruptions, "interruptions");
    return {
      id: x.id,
      name: x.name,
      hardware: x.hardware,
      perChipSecond: computedFigure(
        (x.interruptions.value / exposure) * factor,
        "1/chip-s",
        [count, chips, days, ...borrowed, ...scale],
        `${x.interruptions.value} of the fleet's ${total} interruptions / (${c.chips.value} chips × ${c.days.value} days)${factor !== 1 ? ` × ${factor.toFixed(3)}` : ""}`,
      ),
    };
  });
}
