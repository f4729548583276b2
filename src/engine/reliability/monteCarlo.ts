// A seeded Monte Carlo simulation of a whole training run, every failure and restart an event: work
// proceeds in segments of τ seconds each followed by a checkpoint of C seconds; a failure (exponential
// inter-arrival times, rate 1/M, its component drawn in proportion to the component rates) loses the
// segment in progress and costs a restart of R seconds, which a further failure can interrupt.
import { seededRandom } from "../random.js";
import type { GoodputParams } from "./goodput.js";

export interface MonteCarloResult {
  /** Failure-free work done, seconds. */
  workSeconds: number;
  wallSeconds: number;
  goodput: number;
  failures: number;
  failuresByComponent: Record<string, number>;
  /** True where the run hit the event cap; goodput is then that of the part simulated. */
  truncated: boolean;
}

export const MAX_EVENTS = 2_000_000;

export function simulateRun(
  p: GoodputParams & { workSeconds: number; components: { id: string; rate: number }[]; seed: number; maxEvents?: number },
): MonteCarloResult {
  const rng = seededRandom(p.seed);
  const totalRate = p.components.reduce((s, c) => s + c.rate, 0);
  const cumulative: number[] = [];
  let acc = 0;
  for (const c of p.components) cumulative.push((acc += c.rate / totalRate));
  const byComponent: Record<string, number> = Object.fromEntries(p.components.map((c) => [c.id, 0]));
  const maxEvents = p.maxEvents ?? MAX_EVENTS;
  let wall = 0;
  let done = 0;
  let failures = 0;
  let events = 0;
  const fail = () => {
    failures++;
    const u = rng.next();
    const i = cumulative.findIndex((x) => u < x);
    byComponent[p.components[i < 0 ? p.components.length - 1 : i]!.id]!++;
  };
  while (done < p.workSeconds && events < maxEvents) {
    events++;
    const segment = Math.min(p.intervalSeconds, p.workSeconds - done);
    const needed = segment + p.checkpointSeconds;
    const untilFailure = rng.exponential(p.mtbfSeconds);
    if (untilFailure >= needed) {
      wall += needed;
      done += segment;
      continue;
    }
    wall += untilFailure;
    fail();
    // A restart can fail again before it ends: past some scale it almost never ends, so the event cap
    // holds here too.
    while (events < maxEvents) {
      events++;
      const next = rng.exponential(p.mtbfSeconds);
      if (next >= p.restartSeconds) {
        wall += p.restartSeconds;
        break;
      }
      wall += next;
      fail();
    }
  }
  return {
    workSeconds: done,
    wallSeconds: wall,
    goodput: done / wall,
    failures,
    failuresByComponent: byComponent,
    truncated: done < p.workSeconds,
  };
}
