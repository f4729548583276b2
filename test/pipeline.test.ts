// The pipeline-schedule simulator (src/engine/des/pipelineSchedule.ts) against closed forms for uniform stages.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { simulatePipeline, stageOrder, uniformPipelineSeconds } from "../src/engine/des/pipelineSchedule.js";

const run = (p: number, v: number, m: number, f: number, b: number) =>
  simulatePipeline({ stages: p, chunks: v, microBatches: m, forwardSeconds: () => f, backwardSeconds: () => b });
const makespan = (r: ReturnType<typeof simulatePipeline>) => Math.max(...r.stageEnd);

describe("1F1B (no interleaving), uniform stages", () => {
  it("makespan is (m + p - 1)(f + b): p - 1 warm-up slots then m steady slots", () => {
    // p=4, m=8, f=1, b=2: (8 + 3) * 3 = 33
    expect(makespan(run(4, 1, 8, 1, 2))).toBeCloseTo(33, 12);
  });
  it("holds for any p, m, f, b", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 1, max: 24 }),
        fc.double({ min: 0.01, max: 10, noNaN: true }),
        fc.double({ min: 0.01, max: 10, noNaN: true }),
        (p, m, f, b) => {
          const expected = (m + p - 1) * (f + b);
          expect(makespan(run(p, 1, m, f, b))).toBeCloseTo(expected, 9);
          expect(uniformPipelineSeconds(p, 1, m, f, b)).toBeCloseTo(expected, 9);
        },
      ),
      { numRuns: 200 },
    );
  });
  it("stage 0 holds p micro-batches at its peak when m >= p; stage s holds p - s", () => {
    const r = run(4, 1, 8, 1, 2);
    expect(r.peakInFlight).toEqual([4, 3, 2, 1]);
    expect(run(4, 1, 2, 1, 2).peakInFlight[0]).toBe(2); // m < p: at most m
  });
  it("every stage is busy m(f + b)", () => {
    const r = run(3, 1, 5, 1, 2);
    for (const busy of r.stageBusy) expect(busy).toBeCloseTo(5 * 3, 12);
  });
});

describe("interleaved 1F1B, uniform chunks", () => {
  it("makespan is (m v + p - 1)(f + b) with f, b per chunk, when m is a multiple of p", () => {
    // p=4, v=2, m=8, f=1, b=2: (16 + 3) * 3 = 57
    expect(makespan(run(4, 2, 8, 1, 2))).toBeCloseTo(57, 12);
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 6 }),
        fc.integer({ min: 2, max: 4 }),
        fc.integer({ min: 1, max: 4 }),
        fc.double({ min: 0.01, max: 10, noNaN: true }),
        fc.double({ min: 0.01, max: 10, noNaN: true }),
        (p, v, k, f, b) => {
          const m = k * p;
          const expected = (m * v + p - 1) * (f + b);
          expect(makespan(run(p, v, m, f, b))).toBeCloseTo(expected, 9);
          expect(uniformPipelineSeconds(p, v, m, f, b)).toBeCloseTo(expected, 9);
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe("the schedule cache", () => {
  it("keeps shapes apart whose packed keys would coincide: 2 stages of 1,025 chunks after 3 stages of 1", () => {
    // (p * 1024 + v) is 3073 for both; the second must not run the first's schedule.
    expect(makespan(run(3, 1, 2, 1, 2))).toBeCloseTo(uniformPipelineSeconds(3, 1, 2, 1, 2), 9);
    expect(makespan(run(2, 1025, 2, 1, 2))).toBeCloseTo((2 * 1025 + 2 - 1) * 3, 9);
  });
});

describe("schedule invariants", () => {
  const params = fc.record({
    p: fc.integer({ min: 1, max: 6 }),
    v: fc.integer({ min: 1, max: 3 }),
    k: fc.integer({ min: 1, max: 3 }),
    f: fc.array(fc.double({ min: 0.01, max: 5, noNaN: true }), { minLength: 18, maxLength: 18 }),
    b: fc.array(fc.double({ min: 0.01, max: 5, noNaN: true }), { minLength: 18, maxLength: 18 }),
  });
  it("each stage runs m*v forwards and m*v backwards, each backward after its forward, none overlapping", () => {
    fc.assert(
      fc.property(params, ({ p, v, k, f, b }) => {
        const m = v > 1 ? k * p : k + p; // interleaving needs m a multiple of p
        const r = simulatePipeline({
          stages: p,
          chunks: v,
          microBatches: m,
          forwardSeconds: (s, c) => f[s * 3 + c]!,
          backwardSeconds: (s, c) => b[s * 3 + c]!,
          recordOps: true,
        });
        for (let s = 0; s < p; s++) {
          const ops = r.ops.filter((o) => o.stage === s).sort((x, y) => x.start - y.start);
          expect(ops.filter((o) => o.kind === "forward")).toHaveLength(m * v);
          expect(ops.filter((o) => o.kind === "backward")).toHaveLength(m * v);
          for (let i = 1; i < ops.length; i++) expect(ops[i]!.start).toBeGreaterThanOrEqual(ops[i - 1]!.end - 1e-12);
          expect(r.stageEnd[s]).toBeCloseTo(ops[ops.length - 1]!.end, 12);
        }
        const forwardEnd = new Map<string, number>();
        for (const o of r.ops) if (o.kind === "forward") forwardEnd.set(`${o.stage}/${o.chunk}/${o.microBatch}`, o.end);
        for (const o of r.ops) {
          if (o.kind !== "backward") continue;
          expect(o.start).toBeGreaterThanOrEqual(forwardEnd.get(`${o.stage}/${o.chunk}/${o.microBatch}`)!);
          // and after the forward of the last virtual stage of this micro-batch
          expect(o.start).toBeGreaterThanOrEqual(forwardEnd.get(`${p - 1}/${v - 1}/${o.microBatch}`)!);
        }
        // a forward on stage s > 0 starts after the same chunk's forward on stage s - 1
        for (const o of r.ops) {
          if (o.kind === "forward" && o.stage > 0)
            expect(o.start).toBeGreaterThanOrEqual(forwardEnd.get(`${o.stage - 1}/${o.chunk}/${o.microBatch}`)!);
        }
      }),
      { numRuns: 100 },
    );
  });
});

describe("stageOrder", () => {
  it("lists each (chunk, micro-batch) once per kind", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 4 }), (p, v, k) => {
        const m = v > 1 ? k * p : k + 2;
        for (let s = 0; s < p; s++) {
          const order = stageOrder(s, p, v, m);
          expect(order).toHaveLength(2 * m * v);
          for (const kind of ["forward", "backward"] as const) {
            const keys = order.filter((o) => o.kind === kind).map((o) => `${o.chunk}/${o.microBatch}`);
            expect(new Set(keys).size).toBe(m * v);
            for (let c = 0; c < v; c++) for (let mb = 0; mb < m; mb++) expect(keys).toContain(`${c}/${mb}`);
          }
        }
      }),
    );
  });
  it("1F1B on the first of 4 stages: 3 warm-up forwards, then alternating, then cool-down backwards", () => {
    const order = stageOrder(0, 4, 1, 5).map((o) => `${o.kind[0]}${o.microBatch}`);
    expect(order).toEqual(["f0", "f1", "f2", "f3", "b0", "f4", "b1", "b2", "b3", "b4"]);
  });
});
