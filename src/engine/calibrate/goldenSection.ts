// Golden-section search (Kiefer 1953) for the minimum of a function of one variable on [lo, hi]:
// each step keeps the part of the bracket that holds the lower of two interior points. The fits
// use it once per parameter in coordinate descent.
export function goldenSectionMinimum(f: (x: number) => number, lo: number, hi: number, steps: number): number {
  const g = (Math.sqrt(5) - 1) / 2;
  let a = lo;
  let b = hi;
  let x1 = b - g * (b - a);
  let x2 = a + g * (b - a);
  let f1 = f(x1);
  let f2 = f(x2);
  for (let i = 0; i < steps; i++) {
    if (f1 < f2) {
      b = x2;
      x2 = x1;
      f2 = f1;
      x1 = b - g * (b - a);
      f1 = f(x1);
    } else {
      a = x1;
      x1 = x2;
      f1 = f2;
      x2 = a + g * (b - a);
      f2 = f(x2);
    }
  }
  return (a + b) / 2;
}
