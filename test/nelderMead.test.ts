// Nelder-Mead (src/engine/calibrate/nelderMead.ts) against minima known in closed form.
import { describe, expect, it } from "vitest";
import { nelderMead } from "../src/engine/calibrate/nelderMead.js";

describe("Nelder-Mead", () => {
  it("finds Rosenbrock's minimum at (1, 1) from (-1.2, 1)", () => {
    const rosenbrock = ([x, y]: number[]) => 100 * (y! - x! * x!) ** 2 + (1 - x!) ** 2;
    const r = nelderMead(rosenbrock, [-1.2, 1], { step: [0.1, 0.1], tolerance: 1e-12, maxEvaluations: 2000 });
    expect(r.x[0]).toBeCloseTo(1, 3);
    expect(r.x[1]).toBeCloseTo(1, 3);
    expect(r.value).toBeLessThan(1e-8);
  });

  it("moves correlated parameters together on a kinked objective (sum of absolute errors)", () => {
    // |a + b - 3| + |a - b - 1| + |2a + b - 5|: zero only at (2, 1), along a valley that one-coordinate
    // searches cross a little at a time.
    const f = ([a, b]: number[]) => Math.abs(a! + b! - 3) + Math.abs(a! - b! - 1) + Math.abs(2 * a! + b! - 5);
    const r = nelderMead(f, [0, 0], { step: [0.1, 0.1], tolerance: 1e-10, maxEvaluations: 1000 });
    expect(r.x[0]).toBeCloseTo(2, 4);
    expect(r.x[1]).toBeCloseTo(1, 4);
  });

  it("stops at its evaluation budget and counts every evaluation", () => {
    let calls = 0;
    const r = nelderMead(
      ([x]: number[]) => {
        calls++;
        return (x! - 5) ** 2;
      },
      [0],
      { step: [1], tolerance: 0, maxEvaluations: 20 },
    );
    expect(r.evaluations).toBe(calls);
    // A shrink step may evaluate every vertex past the budget's last check: at most n more.
    expect(calls).toBeLessThanOrEqual(21);
    expect(Math.abs(r.x[0]! - 5)).toBeLessThan(5);
  });
});
