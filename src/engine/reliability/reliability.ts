// Goodput and the effective time to train, two ways: the closed form with Young's optimal checkpoint
// interval, and a seeded Monte Carlo simulation of the whole run. Every figure says where it comes from.
import { UltrasimError } from "../errors.js";
import { computedFigure, inputFigure, type Figure } from "../report/figure.js";
import { checkpointCosts, type CheckpointCosts, type CheckpointMode } from "./checkpoint.js";
import {
  failureRates,
  fleetInterruptions,
  SECONDS_PER_DAY,
  SECONDS_PER_YEAR,
  type ComponentRate,
  type ReliabilityData,
} from "./failureRates.js";
import { closedFormGoodput, closedFormValid, youngDalyIntervalSeconds } from "./goodput.js";
import { simulateRun } from "./monteCarlo.js";

export const DEFAULT_SEED = 1;

export interface ReliabilityInput {
  chipId: string;
  chips: number;
  /** Model parameters (the checkpoint holds their weights and optimizer state). */
  parameters: number;
  /** Scale-out bandwidth per chip, one direction, bytes/s. */
  peerBytesPerSecond: number;
  checkpoint: CheckpointMode;
  /** Spare chips kept running; any makes a restart a swap rather than a rescheduling. */
  hotSpares: number;
  /** Failure-free seconds of training the run needs (its token budget over its throughput). */
  workSeconds: number;
  /** Where workSeconds comes from, when it is computed (default: an input). */
  workSecondsFigure?: Figure;
  /** Checkpoints fall between steps: the interval is at least one step (seconds), where known. */
  stepSeconds?: number;
  /** Where the step time comes from (an estimate, an input), for the interval's provenance. */
  stepSecondsFigure?: Figure;
  /** A fixed checkpoint interval in seconds of work; default Young's optimum. */
  intervalSeconds?: number;
  failuresPerChipYear?: number;
  seed?: number;
  /** Skip the simulation (the closed form alone). */
  monteCarlo?: boolean;
  data?: ReliabilityData;
}

export interface ReliabilityReport {
  chips: number;
  hotSpares: number;
  checkpointMode: CheckpointMode;
  components: { id: string; name: string; hardware: boolean; perChipYear: Figure }[];
  failuresPerChipYear: Figure;
  mtbfSeconds: Figure;
  interruptionsPerDay: Figure;
  checkpoint: CheckpointCosts;
  youngDalyIntervalSeconds: Figure;
  intervalSeconds: Figure;
  closedForm: { goodput: Figure; effectiveSeconds: Figure; valid: boolean };
  monteCarlo: {
    seed: number;
    goodput: Figure;
    effectiveSeconds: Figure;
    failures: Figure;
    failuresByComponent: Record<string, Figure>;
    truncated: boolean;
  } | null;
  workSeconds: Figure;
  /** The interval was raised to one training step (checkpoints fall between steps). */
  intervalIsOneStep: boolean;
  notes: string[];
}

export function predictReliability(input: ReliabilityInput): ReliabilityReport {
  if (!Number.isInteger(input.chips) || input.chips < 1)
    throw new UltrasimError("INVALID_INPUT", `chips must be a positive integer, got ${input.chips}`, { field: "--chips" });
  if (!Number.isInteger(input.hotSpares) || input.hotSpares < 0)
    throw new UltrasimError("INVALID_INPUT", `hot spares must be a whole number of chips ≥ 0, got ${input.hotSpares}`, {
      field: "--hot-spares",
    });
  if (input.intervalSeconds !== undefined && !(input.intervalSeconds > 0))
    throw new UltrasimError("INVALID_INPUT", `a checkpoint interval must be a positive number of seconds, got ${input.intervalSeconds}`, {
      field: "--checkpoint-interval",
    });
  const rates: ComponentRate[] = failureRates(input.chipId, { failuresPerChipYear: input.failuresPerChipYear, data: input.data });
  const perChipSecond = rates.reduce((s, r) => s + r.perChipSecond.value!, 0);
  const rateFigures = rates.map((r) => r.perChipSecond);
  const fleet = fleetInterruptions(input.data);
  const scaled = input.failuresPerChipYear !== undefined ? ", scaled to --failures-per-chip-year" : "";
  const failuresPerChipYear = computedFigure(
    perChipSecond * SECONDS_PER_YEAR,
    "1/chip-year",
    rateFigures,
    `sum of the component rates: ${fleet.description}${scaled}`,
  );
  const mtbf = 1 / (perChipSecond * input.chips);
  const mtbfSeconds = computedFigure(mtbf, "s", rateFigures, "1 / (chips × failures per chip-second)");
  const interruptionsPerDay = computedFigure(SECONDS_PER_DAY / mtbf, "1/d", [mtbfSeconds]);
  const checkpoint = checkpointCosts({
    parameters: input.parameters,
    chips: input.chips,
    mode: input.checkpoint,
    hotSpares: input.hotSpares > 0,
    peerBytesPerSecond: input.peerBytesPerSecond,
    data: input.data,
  });
  const c = checkpoint.blockingSeconds.value!;
  const r = checkpoint.restartSeconds.value!;
  const yd = computedFigure(
    youngDalyIntervalSeconds(c, mtbf),
    "s",
    [checkpoint.blockingSeconds, mtbfSeconds],
    "sqrt(2 · checkpoint cost · MTBF) (Young 1974)",
  );
  const notes: string[] = [];
  let interval: Figure;
  const stepFigure = input.stepSecondsFigure ? [input.stepSecondsFigure] : [];
  if (input.intervalSeconds !== undefined) interval = inputFigure(input.intervalSeconds, "s", "--checkpoint-interval");
  else if (input.stepSeconds !== undefined && yd.value! < input.stepSeconds && checkpoint.minIntervalSeconds.value! <= input.stepSeconds) {
    interval = computedFigure(input.stepSeconds, "s", [yd, ...stepFigure], "one step: checkpoints fall between steps");
    notes.push(`Young's interval (${yd.value!.toFixed(1)} s) is shorter than a step; checkpointing every step`);
  } else if (yd.value! < checkpoint.minIntervalSeconds.value!) {
    interval = computedFigure(
      checkpoint.minIntervalSeconds.value!,
      "s",
      [checkpoint.minIntervalSeconds],
      "the background write bounds the interval",
    );
    notes.push(
      `Young's interval (${yd.value!.toFixed(0)} s) is shorter than the ${input.checkpoint} checkpoint's background transfer; the transfer sets it`,
    );
  } else interval = yd;
  // Checkpoints fall between steps: an interval shorter than one step (a fast in-memory checkpoint at
  // scale, or a short --checkpoint-interval) is one step.
  if (input.stepSeconds !== undefined && interval.value! < input.stepSeconds) {
    notes.push(
      `the checkpoint interval (${interval.value!.toPrecision(3)} s) is shorter than one training step (${input.stepSeconds.toPrecision(3)} s): ` +
        "checkpointing once per step",
    );
    interval = computedFigure(input.stepSeconds, "s", [interval, ...stepFigure], "at least one step: checkpoints fall between steps");
  }
  const params = { mtbfSeconds: mtbf, checkpointSeconds: c, restartSeconds: r, intervalSeconds: interval.value! };
  const work = input.workSecondsFigure ?? inputFigure(input.workSeconds, "s", "failure-free training time of the run");
  const goodputInputs = [mtbfSeconds, checkpoint.blockingSeconds, checkpoint.restartSeconds, interval];
  const g = closedFormGoodput(params);
  const closedGoodput = computedFigure(g, "", goodputInputs, "τ / ((τ + C)(1 + (R + (τ + C)/2) / MTBF))");
  const valid = closedFormValid(params);
  if (!valid)
    notes.push(
      "checkpoint interval or restart is not small against the MTBF: the closed form is outside its assumptions; trust the simulation",
    );
  let monteCarlo: ReliabilityReport["monteCarlo"] = null;
  if (input.monteCarlo !== false) {
    const seed = input.seed ?? DEFAULT_SEED;
    const sim = simulateRun({
      ...params,
      workSeconds: input.workSeconds,
      seed,
      components: rates.map((x) => ({ id: x.id, rate: x.perChipSecond.value! })),
    });
    const mcGoodput = computedFigure(sim.goodput, "", goodputInputs, `Monte Carlo of the whole run, seed ${seed}`);
    if (sim.truncated)
      notes.push(
        `the simulation stopped after its event cap; its goodput is that of the ${(sim.workSeconds / 86400).toFixed(1)} days of work simulated`,
      );
    monteCarlo = {
      seed,
      goodput: mcGoodput,
      // No work done before the event cap: at this scale the run never finishes; no time exists to report.
      effectiveSeconds:
        sim.goodput > 0
          ? computedFigure(input.workSeconds / sim.goodput, "s", [mcGoodput, work])
          : computedFigure(null, "s", [mcGoodput, work], "never: failures come faster than a restart completes"),
      failures: computedFigure(sim.failures, "failures", [mcGoodput]),
      failuresByComponent: Object.fromEntries(
        Object.entries(sim.failuresByComponent).map(([id, n]) => [id, computedFigure(n, "failures", goodputInputs, "simulated")]),
      ),
      truncated: sim.truncated,
    };
  }
  return {
    chips: input.chips,
    hotSpares: input.hotSpares,
    checkpointMode: input.checkpoint,
    components: rates.map((x) => ({
      id: x.id,
      name: x.name,
      hardware: x.hardware,
      perChipYear: computedFigure(x.perChipSecond.value! * SECONDS_PER_YEAR, "1/chip-year", [x.perChipSecond], x.perChipSecond.note),
    })),
    failuresPerChipYear,
    mtbfSeconds,
    interruptionsPerDay,
    checkpoint,
    youngDalyIntervalSeconds: yd,
    intervalSeconds: interval,
    intervalIsOneStep: input.stepSeconds !== undefined && interval.value === input.stepSeconds,
    closedForm: { goodput: closedGoodput, effectiveSeconds: computedFigure(input.workSeconds / g, "s", [closedGoodput, work]), valid },
    monteCarlo,
    workSeconds: work,
    notes,
  };
}
