// Goodput in closed form, for failures arriving at random (exponential, mean time between failures
// M) and periodic checkpoints of blocking cost C every τ seconds of work, with restart cost R.
//
// Young (1974), "A first order approximation to the optimum checkpoint interval": τ* = sqrt(2·C·M).
// Each segment of τ work takes τ + C; failures strike it at rate 1/M and each costs the restart R
// plus on average half the segment, (τ + C)/2. To first order in (τ + C)/M and R/M:
//   wall time per segment = (τ + C) · (1 + (R + (τ + C)/2) / M),   goodput = τ / that.
// The approximation holds where τ + C and R are small against M; `valid` says whether they are.

/** Young's optimal checkpoint interval, seconds of work between checkpoints. */
export function youngDalyIntervalSeconds(checkpointSeconds: number, mtbfSeconds: number): number {
  return Math.sqrt(2 * checkpointSeconds * mtbfSeconds);
}

export interface GoodputParams {
  mtbfSeconds: number;
  checkpointSeconds: number;
  restartSeconds: number;
  intervalSeconds: number;
}

export function closedFormGoodput(p: GoodputParams): number {
  const segment = p.intervalSeconds + p.checkpointSeconds;
  return p.intervalSeconds / (segment * (1 + (p.restartSeconds + segment / 2) / p.mtbfSeconds));
}

/** Whether the first-order closed form applies: segment and restart each under a tenth of the MTBF. */
export function closedFormValid(p: GoodputParams): boolean {
  return (p.intervalSeconds + p.checkpointSeconds) / p.mtbfSeconds < 0.1 && p.restartSeconds / p.mtbfSeconds < 0.1;
}
