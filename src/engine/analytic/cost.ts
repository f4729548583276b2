// Cost: $/chip-hour from a price table (data/prices.json), each price with its kind, source and date;
// users override a price or add their own. Where no public price exists the figure is null and the
// report says so: a price is never made up.
import { Type, type Static } from "@sinclair/typebox";
import prices from "../../../data/prices.json" with { type: "json" };
import { checkEntry } from "../catalog/catalog.js";
import { UltrasimError } from "../errors.js";
import { computedFigure, inputFigure, type Figure } from "../report/figure.js";

export const PRICE_KINDS = ["on-demand", "reserved", "capacity-block", "spot"] as const;
export type PriceKind = (typeof PRICE_KINDS)[number];

export const PriceEntry = Type.Object(
  {
    id: Type.String({ minLength: 1 }),
    system: Type.String({ minLength: 1, description: "system id (ultrasim catalog systems)" }),
    kind: Type.Union(PRICE_KINDS.map((k) => Type.Literal(k))),
    /** Dollars per chip-hour; null where the source says no public price exists. */
    usdPerChipHour: Type.Union([Type.Number({ minimum: 0 }), Type.Null()]),
    region: Type.Optional(Type.String()),
    source: Type.String({ minLength: 1, description: "URL or citation" }),
    asOf: Type.String({ minLength: 1, description: "date or snapshot the price was read" }),
    thirdParty: Type.Optional(Type.Boolean()),
    estimate: Type.Optional(Type.Boolean({ description: "true where the price is an estimate, not a published figure" })),
    note: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);
export type PriceEntry = Static<typeof PriceEntry>;
export const PriceTable = Type.Array(PriceEntry);

let builtin: PriceEntry[] | undefined;
export function builtinPrices(): PriceEntry[] {
  builtin ??= checkEntry<PriceEntry[]>(PriceTable, prices, "data/prices.json");
  return builtin;
}

export function checkPrice(usdPerChipHour: number, field = "--price-per-chip-hour"): number {
  if (!Number.isFinite(usdPerChipHour) || usdPerChipHour < 0)
    throw new UltrasimError("INVALID_INPUT", `a price must be a number of dollars per chip-hour ≥ 0, got ${usdPerChipHour}`, { field });
  return usdPerChipHour;
}

export interface PriceChoice {
  usdPerChipHour: Figure;
  kind: PriceKind | null;
  entryId: string | null;
}

/**
 * The price of a chip-hour on a system: the user's override, else the table's first priced entry of
 * the requested kind (else in the order on-demand, reserved, capacity block, spot). Entries in
 * `extra` replace built-in entries with the same id.
 */
export function priceFor(systemId: string, options: { kind?: PriceKind; usdPerChipHour?: number; extra?: PriceEntry[] } = {}): PriceChoice {
  if (options.usdPerChipHour !== undefined)
    return {
      usdPerChipHour: inputFigure(checkPrice(options.usdPerChipHour), "USD/chip-h", "--price-per-chip-hour"),
      kind: null,
      entryId: null,
    };
  const extraIds = new Set((options.extra ?? []).map((e) => e.id));
  const table = [...(options.extra ?? []), ...builtinPrices().filter((e) => !extraIds.has(e.id))];
  const kinds = options.kind ? [options.kind] : PRICE_KINDS;
  const forSystem = table.filter((e) => e.system === systemId && kinds.includes(e.kind));
  for (const kind of kinds) {
    const entry = forSystem.find((e) => e.kind === kind && e.usdPerChipHour !== null);
    if (!entry) continue;
    const detail = [entry.kind, entry.region, `as of ${entry.asOf}`, entry.thirdParty ? "third-party reading" : undefined, entry.note]
      .filter(Boolean)
      .join("; ");
    return {
      usdPerChipHour: {
        value: checkPrice(entry.usdPerChipHour!, `price ${entry.id}`),
        unit: "USD/chip-h",
        from: entry.estimate ? "estimate" : "sourced",
        source: entry.source,
        note: detail,
      },
      kind: entry.kind,
      entryId: entry.id,
    };
  }
  const why = forSystem.map((e) => e.note).filter(Boolean);
  return {
    usdPerChipHour: {
      value: null,
      unit: "USD/chip-h",
      from: "sourced",
      note:
        `no public ${options.kind ?? ""}${options.kind ? " " : ""}price for ${systemId}` +
        (why.length ? ` (${why.join(" ")})` : "") +
        "; give --price-per-chip-hour to set one",
      ...(forSystem[0] ? { source: forSystem[0].source } : {}),
    },
    kind: null,
    entryId: null,
  };
}

/** Dollars per million tokens for `chips` chips at a price, producing `tokensPerSecond` (training or serving). */
export function usdPerMillionTokens(usdPerChipHour: number, chips: number, tokensPerSecond: number): number {
  return ((usdPerChipHour * chips) / 3600 / tokensPerSecond) * 1e6;
}

export interface CostReport {
  usdPerChipHour: Figure;
  priceKind: PriceKind | null;
  priceEntry: string | null;
  perStepUsd: Figure;
  perMillionTokensUsd: Figure;
  /** Whole run, where a token budget is set: chip-hours of the wall-clock time (spares included). */
  perRunUsd: Figure | null;
}

export function trainingCost(input: {
  price: PriceChoice;
  chips: number;
  stepSeconds: number;
  tokensPerSecond: number;
  run?: { seconds: Figure; billedChips: number };
}): CostReport {
  const p = input.price.usdPerChipHour;
  const perStep = computedFigure(
    p.value === null ? null : (p.value * input.chips * input.stepSeconds) / 3600,
    "USD",
    [p],
    "price × chips × step time",
  );
  const perMillion = computedFigure(
    p.value === null ? null : usdPerMillionTokens(p.value, input.chips, input.tokensPerSecond),
    "USD",
    [p],
    "price × chips / tokens per second, per 1M tokens",
  );
  const perRun = input.run
    ? computedFigure(
        p.value === null ? null : (p.value * input.run.billedChips * input.run.seconds.value!) / 3600,
        "USD",
        [p, input.run.seconds],
        `price × ${input.run.billedChips} chips × wall-clock time of the run`,
      )
    : null;
  for (const f of [perStep, perMillion, perRun]) if (f && p.value === null) f.note = p.note;
  return {
    usdPerChipHour: p,
    priceKind: input.price.kind,
    priceEntry: input.price.entryId,
    perStepUsd: perStep,
    perMillionTokensUsd: perMillion,
    perRunUsd: perRun,
  };
}
