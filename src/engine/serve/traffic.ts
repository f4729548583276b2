// Requests from a traffic description, drawn from the seeded generator: lengths fixed, uniform or
// lognormal; arrivals all at once (offline), Poisson, evenly spaced (constant rate), or bursty
// (gamma-distributed gaps with a squared coefficient of variation above 1, as in Vidur's gamma
// request generator).
import { UltrasimError } from "../errors.js";
import { seededRandom, type Random as Rng } from "../random.js";
import type { ArrivalSpec, LengthSpec, RequestSpec, TrafficSpec } from "./scenario.js";

function standardNormal(rng: Rng): number {
  // Box-Muller; 1 - u keeps the logarithm finite.
  const u = 1 - rng.next();
  const v = rng.next();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** Gamma(shape, 1) by Marsaglia & Tsang (2000), with the shape < 1 boost. */
function gamma(rng: Rng, shape: number): number {
  if (shape < 1) return gamma(rng, shape + 1) * Math.pow(1 - rng.next(), 1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = standardNormal(rng);
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = 1 - rng.next();
    if (Math.log(u) < 0.5 * x * x + d - d * v + d * Math.log(v)) return d * v;
  }
}

export function sampleLength(rng: Rng, spec: LengthSpec): number {
  if (typeof spec === "number") return spec;
  if (spec.distribution === "uniform") return spec.min + Math.floor(rng.next() * (spec.max - spec.min + 1));
  // Lognormal with the given mean: mu = ln(mean) - sigma^2 / 2.
  const mu = Math.log(spec.mean) - (spec.sigma * spec.sigma) / 2;
  const value = Math.max(1, Math.round(Math.exp(mu + spec.sigma * standardNormal(rng))));
  return spec.max ? Math.min(spec.max, value) : value;
}

/** The longest a length can be drawn: Infinity for a lognormal without a max. */
export function longestLength(spec: LengthSpec): number {
  if (typeof spec === "number") return spec;
  return spec.distribution === "uniform" ? spec.max : (spec.max ?? Infinity);
}

export function meanLength(spec: LengthSpec): number {
  if (typeof spec === "number") return spec;
  return spec.distribution === "uniform" ? (spec.min + spec.max) / 2 : spec.mean;
}

export interface GeneratedTraffic {
  requests: number;
  arrival: ArrivalSpec;
  inputTokens: LengthSpec;
  outputTokens: LengthSpec;
}

export function generateRequests(traffic: GeneratedTraffic, seed: number): RequestSpec[] {
  for (const [field, spec] of [
    ["traffic.inputTokens", traffic.inputTokens],
    ["traffic.outputTokens", traffic.outputTokens],
  ] as const) {
    if (typeof spec === "object" && spec.distribution === "uniform" && spec.max < spec.min)
      throw new UltrasimError("INVALID_INPUT", `max ${spec.max} is below min ${spec.min}`, { field: `${field}.max` });
  }
  const rng = seededRandom(seed);
  const out: RequestSpec[] = new Array(traffic.requests);
  let t = 0;
  const arrival = traffic.arrival;
  for (let i = 0; i < traffic.requests; i++) {
    if (arrival.kind === "poisson") t += -Math.log(1 - rng.next()) / arrival.ratePerSecond;
    // guidellm's constant profile: request i at start + i / rate (scheduler/load_generator.py).
    else if (arrival.kind === "constant") t = i / arrival.ratePerSecond;
    else if (arrival.kind === "bursty") {
      const shape = 1 / arrival.burstiness;
      t += gamma(rng, shape) / (shape * arrival.ratePerSecond);
    }
    out[i] = {
      arrivalSeconds: t,
      inputTokens: sampleLength(rng, traffic.inputTokens),
      outputTokens: sampleLength(rng, traffic.outputTokens),
    };
  }
  return out;
}

/**
 * Multi-turn conversations: the traffic's requests start them (arrivals and the first message and
 * answer as drawn for single requests); each of the `turns` that follow sends the conversation so far
 * (every prompt and answer) plus a new message, `thinkSeconds` after the last answer ends. A turn's
 * prefix is its conversation so far, which a replica with prefix caching may still hold.
 */
export function conversationRequests(
  traffic: GeneratedTraffic,
  conversation: NonNullable<TrafficSpec["conversation"]>,
  seed: number,
): RequestSpec[] {
  const first = generateRequests(traffic, seed);
  // A stream apart from the first turns': the same seed with its bits turned (any fixed change would do).
  const rng = seededRandom((seed ^ 0x2545f491) >>> 0);
  const out: RequestSpec[] = [];
  first.forEach((start, c) => {
    const turns = sampleLength(rng, conversation.turns);
    let context = 0;
    for (let k = 0; k < turns; k++) {
      const message = k === 0 ? start.inputTokens : sampleLength(rng, traffic.inputTokens);
      const answer = k === 0 ? start.outputTokens : sampleLength(rng, traffic.outputTokens);
      out.push({
        arrivalSeconds: k === 0 ? start.arrivalSeconds : NaN,
        inputTokens: context + message,
        outputTokens: answer,
        prefixGroup: c,
        prefixTokens: context,
        ...(k > 0 ? { follows: out.length - 1, thinkSeconds: conversation.thinkSeconds ?? 0 } : {}),
      });
      context += message + answer;
    }
  });
  return out;
}

/**
 * Each request's prompt starts with one of `prefixes` shared prefixes of `tokens` tokens, drawn
 * uniformly from its own seeded stream (so the lengths and arrivals drawn before are unchanged).
 */
export function withSharedPrefixes(requests: RequestSpec[], shared: TrafficSpec["sharedPrefix"], seed: number): RequestSpec[] {
  if (!shared) return requests;
  const prefixes = shared.prefixes ?? 1;
  // A stream apart from the traffic's: the same seed with its bits turned (any fixed change would do).
  const rng = seededRandom((seed ^ 0x5bd1e995) >>> 0);
  return requests.map((r) => ({
    ...r,
    prefixGroup: prefixes === 1 ? 0 : Math.min(prefixes - 1, Math.floor(rng.next() * prefixes)),
    prefixTokens: shared.tokens,
  }));
}
