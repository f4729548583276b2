// Flags for energy, cost and reliability (`ultrasim train` and `ultrasim reliability`): parsed and
// checked here, so a bad value is one line naming the flag and exit code 2.
import { PRICE_KINDS, PriceTable, type PriceEntry, type PriceKind } from "../engine/analytic/cost.js";
import { CHECKPOINT_MODES, type CheckpointMode } from "../engine/reliability/checkpoint.js";
import { choiceFlag, numberFlag } from "../engine/flagSyntax.js";
import { checkBound, type BoundName } from "../engine/bounds.js";
import { UltrasimError } from "../engine/errors.js";
import type { OperationsOptions } from "../engine/report/operationsReport.js";
import { checkSchema, locate, readInputFile } from "./loadInput.js";
import type { Catalog } from "../engine/catalog/catalog.js";

export { choiceFlag, numberFlag } from "../engine/flagSyntax.js";

/**
 * A price table file: a YAML or JSON list of prices in the shape of data/prices.json. A price for a
 * system the catalog does not have would never be read (a typo in the id): it is refused.
 */
export function readPriceFile(file: string, catalog: Catalog): PriceEntry[] {
  const loaded = readInputFile(file);
  const prices = checkSchema<PriceEntry[]>(PriceTable, loaded);
  prices.forEach((price, i) => {
    try {
      catalog.system(price.system, `${i}.system`);
    } catch (e) {
      throw e instanceof UltrasimError ? locate(e, loaded) : e;
    }
  });
  return prices;
}

export const OPERATIONS_OPTIONS: [string, string][] = [
  ["--pue <value>", "data-centre PUE (default: AWS's reported 1.15)"],
  ["--grid-gco2-per-kwh <value>", "grid carbon intensity for carbon figures, gCO2/kWh"],
  ["--price-per-chip-hour <usd>", "override the price table: dollars per chip-hour"],
  [`--price-kind <kind>`, `price to take from the table: ${PRICE_KINDS.join(" | ")}`],
  ["--prices <file>", "extra prices (YAML/JSON list shaped like data/prices.json); same ids replace built-ins"],
  [`--checkpoint <mode>`, `checkpointing: ${CHECKPOINT_MODES.join(" | ")} (default sync)`],
  ["--hot-spares <chips>", "spare chips kept running (restarts swap instead of rescheduling)"],
  ["--checkpoint-interval <seconds>", "fixed checkpoint interval (default: Young–Daly optimum)"],
  ["--failures-per-chip-year <rate>", "total interruption rate per chip-year (default: Llama 3 fleet, 0.173)"],
  ["--seed <n>", "Monte Carlo seed (default 1)"],
];

/** The flags that only the reliability figures read (as commander names them). */
const RELIABILITY_FLAGS = ["checkpoint", "hotSpares", "checkpointInterval", "failuresPerChipYear", "seed"];

const bounded = (value: number | undefined, name: BoundName, flag: string) =>
  value === undefined ? undefined : checkBound(name, value, flag);

export function operationsOptions(opts: Record<string, unknown>, catalog: Catalog): OperationsOptions {
  const seed = numberFlag(opts.seed, "--seed");
  if (seed !== undefined && !Number.isInteger(seed))
    throw new UltrasimError("INVALID_INPUT", `must be a whole number, got ${seed}`, { field: "--seed" });
  return {
    pue: numberFlag(opts.pue, "--pue"),
    gridGco2PerKwh: numberFlag(opts.gridGco2PerKwh, "--grid-gco2-per-kwh"),
    usdPerChipHour: numberFlag(opts.pricePerChipHour, "--price-per-chip-hour"),
    priceKind: choiceFlag<PriceKind>(opts.priceKind, "--price-kind", PRICE_KINDS),
    extraPrices: typeof opts.prices === "string" ? readPriceFile(opts.prices, catalog) : undefined,
    tokens: bounded(numberFlag(opts.tokens, "--tokens"), "trainingTokens", "--tokens"),
    // A checkpoint or failure setting asks for the figures it changes: goodput and the effective time to train.
    reliability: Boolean(opts.reliability) || RELIABILITY_FLAGS.some((k) => opts[k] !== undefined),
    checkpoint: choiceFlag<CheckpointMode>(opts.checkpoint, "--checkpoint", CHECKPOINT_MODES),
    hotSpares: bounded(numberFlag(opts.hotSpares, "--hot-spares"), "chips", "--hot-spares"),
    checkpointIntervalSeconds: numberFlag(opts.checkpointInterval, "--checkpoint-interval"),
    failuresPerChipYear: bounded(
      numberFlag(opts.failuresPerChipYear, "--failures-per-chip-year"),
      "failuresPerChipYear",
      "--failures-per-chip-year",
    ),
    seed,
  };
}
