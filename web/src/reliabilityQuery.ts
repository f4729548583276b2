// The Reliability page's inputs: `ultrasim reliability` flags, by their own names, as URL parameters.
// Text as typed, so a link holds exactly what the command line would get; the worker parses it with
// the CLI's rules (src/engine/flagSyntax.ts) and the CLI's defaults.

export const RELIABILITY_PARAMS = [
  "system",
  "model",
  "chips",
  "points",
  "days",
  "checkpoint",
  "hot-spares",
  "checkpoint-interval",
  "failures-per-chip-year",
  "seed",
] as const;
export type ReliabilityParam = (typeof RELIABILITY_PARAMS)[number];
export type ReliabilityQuery = Record<ReliabilityParam, string>;

/** The CLI's defaults (src/cli/commands/reliability.ts); empty means the flag is left out. */
export const DEFAULT_RELIABILITY: ReliabilityQuery = {
  system: "trn3-ultraserver",
  model: "llama3.1-405b",
  chips: "1000..1000000",
  points: "7",
  days: "30",
  checkpoint: "sync",
  "hot-spares": "0",
  "checkpoint-interval": "",
  "failures-per-chip-year": "",
  seed: "1",
};

export function reliabilityFromParams(params: URLSearchParams): ReliabilityQuery {
  const query = { ...DEFAULT_RELIABILITY };
  for (const name of RELIABILITY_PARAMS) {
    const text = params.get(name);
    if (text !== null) query[name] = text;
  }
  return query;
}

export function paramsFromReliability(query: ReliabilityQuery): URLSearchParams {
  const params = new URLSearchParams({ page: "reliability" });
  for (const name of RELIABILITY_PARAMS) if (query[name].trim() !== "") params.set(name, query[name].trim());
  return params;
}

/** The same inputs as `ultrasim reliability` arguments. */
export function reliabilityArguments(query: ReliabilityQuery): string[] {
  return RELIABILITY_PARAMS.filter((name) => query[name].trim() !== "").flatMap((name) => [`--${name}`, query[name].trim()]);
}
