// A seeded pseudo-random generator: the engine's only source of randomness, so that a simulation
// with the same seed gives the same result everywhere.
//
// mulberry32 (Tommy Ettinger, public domain; https://gist.github.com/tommyettinger/46a874533244883189143505d203312c):
// a 32-bit state advanced by the odd constant 0x6D2B79F5 (a Weyl sequence, period 2^32) and mixed
// by two xorshift-multiply rounds. It passes gjrand and PractRand to 4 GB of output, enough for the
// few million draws a Monte Carlo run here makes.

export interface Random {
  /** Uniform in [0, 1). */
  next(): number;
  /** Exponentially distributed with the given mean (inverse transform). */
  exponential(mean: number): number;
}

export function seededRandom(seed: number): Random {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  // 1 - u is in (0, 1], so the logarithm is finite.
  return { next, exponential: (mean) => -mean * Math.log(1 - next()) };
}
