// Bounded nonlinear least squares: Levenberg-Marquardt (Marquardt 1963, with his diagonal scaling)
// over parameters mapped onto their bounds by a logistic, so every step stays inside them. Residuals
// come in blocks that each depend on a few parameters (a validation case on its chip's silicon, its
// framework and its collective library), so the finite-difference Jacobian re-evaluates only the
// blocks a parameter touches.

export interface BoundedParameter {
  lo: number;
  hi: number;
  /** Start and prior mean. */
  prior: number;
  /** Prior standard deviation: the prior enters as one more residual, (value - prior) / sd. */
  priorSd: number;
}

export interface LeastSquaresProblem {
  parameters: BoundedParameter[];
  /** Residual blocks (one per case); `residual(i, values)` is block i's scaled residual. */
  blocks: number;
  residual(block: number, values: readonly number[]): number;
  /** For each parameter, the blocks whose residual depends on it. */
  dependents: number[][];
}

export interface LeastSquaresResult {
  values: number[];
  /** Posterior standard deviation of each parameter (Laplace approximation), in the parameter's units. */
  sd: number[];
  /** Sum of squared residuals, blocks and priors. */
  cost: number;
  iterations: number;
  /** The final block residuals. */
  residuals: number[];
}

const logistic = (u: number) => 1 / (1 + Math.exp(-u));

function toValue(p: BoundedParameter, u: number): number {
  return p.lo + (p.hi - p.lo) * logistic(u);
}

function toFree(p: BoundedParameter, value: number): number {
  const t = Math.min(1 - 1e-9, Math.max(1e-9, (value - p.lo) / (p.hi - p.lo)));
  return Math.log(t / (1 - t));
}

/** Solve the symmetric positive-definite system A x = b by Cholesky decomposition; null if not positive definite. */
export function solveSpd(a: number[][], b: number[]): number[] | null {
  const n = b.length;
  const l = a.map(() => new Array<number>(n).fill(0));
  for (let i = 0; i < n; i++)
    for (let j = 0; j <= i; j++) {
      let sum = a[i]![j]!;
      for (let k = 0; k < j; k++) sum -= l[i]![k]! * l[j]![k]!;
      if (i === j) {
        if (sum <= 0) return null;
        l[i]![i] = Math.sqrt(sum);
      } else l[i]![j] = sum / l[j]![j]!;
    }
  const y = new Array<number>(n).fill(0);
  for (let i = 0; i < n; i++) {
    let sum = b[i]!;
    for (let k = 0; k < i; k++) sum -= l[i]![k]! * y[k]!;
    y[i] = sum / l[i]![i]!;
  }
  const x = new Array<number>(n).fill(0);
  for (let i = n - 1; i >= 0; i--) {
    let sum = y[i]!;
    for (let k = i + 1; k < n; k++) sum -= l[k]![i]! * x[k]!;
    x[i] = sum / l[i]![i]!;
  }
  return x;
}

export function leastSquares(problem: LeastSquaresProblem, options: { start?: number[]; maxIterations?: number } = {}): LeastSquaresResult {
  const { parameters, dependents } = problem;
  const n = parameters.length;
  const maxIterations = options.maxIterations ?? 30;
  let u = parameters.map((p, j) => toFree(p, options.start?.[j] ?? p.prior));
  const values = (free: number[]) => free.map((x, j) => toValue(parameters[j]!, x));
  const priorResidual = (j: number, value: number) => (value - parameters[j]!.prior) / parameters[j]!.priorSd;
  const evaluate = (free: number[]) => {
    const v = values(free);
    const r = Array.from({ length: problem.blocks }, (_, i) => problem.residual(i, v));
    let cost = 0;
    for (const x of r) cost += x * x;
    for (let j = 0; j < n; j++) cost += priorResidual(j, v[j]!) ** 2;
    return { v, r, cost };
  };

  let current = evaluate(u);
  let lambda = 1e-2;
  let iterations = 0;
  let jtj: number[][] = [];
  const h = 1e-4;
  for (; iterations < maxIterations; iterations++) {
    // Jacobian columns, sparse: block residuals of the dependents, and the prior row of the parameter.
    const columns: Map<number, number>[] = [];
    const priorSlope: number[] = [];
    for (let j = 0; j < n; j++) {
      const shifted = [...current.v];
      shifted[j] = toValue(parameters[j]!, u[j]! + h);
      const column = new Map<number, number>();
      for (const i of dependents[j]!) column.set(i, (problem.residual(i, shifted) - current.r[i]!) / h);
      columns.push(column);
      priorSlope.push((priorResidual(j, shifted[j]!) - priorResidual(j, current.v[j]!)) / h);
    }
    jtj = Array.from({ length: n }, () => new Array<number>(n).fill(0));
    const jtr = new Array<number>(n).fill(0);
    for (let a = 0; a < n; a++) {
      for (const [i, x] of columns[a]!) jtr[a]! += x * current.r[i]!;
      jtr[a]! += priorSlope[a]! * priorResidual(a, current.v[a]!);
      for (let b = 0; b <= a; b++) {
        let sum = 0;
        const [small, large] = columns[a]!.size < columns[b]!.size ? [columns[a]!, columns[b]!] : [columns[b]!, columns[a]!];
        for (const [i, x] of small) {
          const y = large.get(i);
          if (y !== undefined) sum += x * y;
        }
        if (a === b) sum += priorSlope[a]! ** 2;
        jtj[a]![b] = sum;
        jtj[b]![a] = sum;
      }
    }
    let improved = false;
    for (let attempt = 0; attempt < 8; attempt++) {
      const damped = jtj.map((row, a) => row.map((x, b) => (a === b ? x * (1 + lambda) + 1e-12 : x)));
      const step = solveSpd(
        damped,
        jtr.map((x) => -x),
      );
      if (!step) {
        lambda *= 10;
        continue;
      }
      const trial = u.map((x, j) => x + Math.max(-3, Math.min(3, step[j]!)));
      const next = evaluate(trial);
      if (next.cost < current.cost) {
        const gain = (current.cost - next.cost) / current.cost;
        u = trial;
        current = next;
        lambda = Math.max(1e-7, lambda / 3);
        improved = gain > 1e-5;
        break;
      }
      lambda *= 4;
    }
    if (!improved) break;
  }

  // Laplace approximation: covariance of the free parameters is (J^T J)^-1, scaled by the residual
  // variance of the blocks relative to their nominal scale; mapped to each parameter's units.
  const blockCost = current.r.reduce((s, x) => s + x * x, 0);
  // Residuals larger than their nominal scale (model error beyond it) widen the spread; with no more
  // blocks than parameters there is nothing to estimate that from.
  const scale = problem.blocks > n ? Math.max(1, blockCost / (problem.blocks - n)) : 1;
  const sd = parameters.map((p, j) => {
    const unit = new Array<number>(n).fill(0);
    unit[j] = 1;
    const column = jtj.length ? solveSpd(jtj, unit) : null;
    const varianceFree = column ? Math.max(0, column[j]!) * scale : NaN;
    const slope = (p.hi - p.lo) * logistic(u[j]!) * (1 - logistic(u[j]!));
    return Number.isFinite(varianceFree) ? slope * Math.sqrt(varianceFree) : p.priorSd;
  });
  return { values: current.v, sd, cost: current.cost, iterations, residuals: current.r };
}
