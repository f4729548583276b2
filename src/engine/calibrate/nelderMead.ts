// Nelder-Mead simplex minimisation (Nelder & Mead, "A simplex method for function minimization", The
// Computer Journal 7(4), 1965), with the standard coefficients (reflection 1, expansion 2, contraction
// 1/2, shrink 1/2; Lagarias et al., SIAM J. Optim. 9(1), 1998). It needs no gradient, so it suits
// objectives with kinks (sums of absolute errors) and moves all parameters together, where coordinate
// descent zigzags along a valley of correlated parameters.

export interface NelderMeadOptions {
  /** Initial step of each coordinate from the start: the simplex's other vertices. */
  step: number[];
  /** Stop when the vertices' objective values span less than this. */
  tolerance: number;
  /** Stop after this many objective evaluations. */
  maxEvaluations: number;
}

export interface NelderMeadResult {
  x: number[];
  value: number;
  evaluations: number;
}

export function nelderMead(f: (x: number[]) => number, start: number[], options: NelderMeadOptions): NelderMeadResult {
  const n = start.length;
  let evaluations = 0;
  const evaluate = (x: number[]) => {
    evaluations++;
    return f(x);
  };
  const simplex = [start, ...start.map((_, i) => start.map((v, j) => (i === j ? v + options.step[i]! : v)))].map((x) => ({
    x,
    value: evaluate(x),
  }));
  // A point along the line from the centroid c through x: c + t (x - c).
  const along = (c: number[], x: number[], t: number) => c.map((ci, i) => ci + t * (x[i]! - ci));
  while (evaluations < options.maxEvaluations) {
    simplex.sort((a, b) => a.value - b.value);
    const best = simplex[0]!;
    const worst = simplex[n]!;
    if (worst.value - best.value < options.tolerance) break;
    const centroid = start.map((_, i) => simplex.slice(0, n).reduce((s, v) => s + v.x[i]!, 0) / n);
    const reflected = along(centroid, worst.x, -1);
    const fr = evaluate(reflected);
    if (fr < best.value) {
      const expanded = along(centroid, worst.x, -2);
      const fe = evaluate(expanded);
      simplex[n] = fe < fr ? { x: expanded, value: fe } : { x: reflected, value: fr };
      continue;
    }
    if (fr < simplex[n - 1]!.value) {
      simplex[n] = { x: reflected, value: fr };
      continue;
    }
    // Contract toward the better of the worst point and its reflection.
    const outside = fr < worst.value;
    const contracted = along(centroid, worst.x, outside ? -0.5 : 0.5);
    const fc = evaluate(contracted);
    if (fc < (outside ? fr : worst.value)) {
      simplex[n] = { x: contracted, value: fc };
      continue;
    }
    // Shrink every vertex halfway toward the best.
    for (let k = 1; k <= n; k++) {
      const x = along(best.x, simplex[k]!.x, 0.5);
      simplex[k] = { x, value: evaluate(x) };
    }
  }
  simplex.sort((a, b) => a.value - b.value);
  return { x: simplex[0]!.x, value: simplex[0]!.value, evaluations };
}
