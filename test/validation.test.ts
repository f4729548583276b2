// Every published case in ../shared/validation/training.json predicted with the built-in catalog:
// none may fail, and the errors must meet the project's bar (median <= 10 %, p90 <= 25 %).
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Value } from "@sinclair/typebox/value";
import { describe, expect, it } from "vitest";
import { builtinCatalog } from "../src/engine/catalog/builtin.js";
import { TrainingCase } from "../src/engine/catalog/scenario.js";
import { percentile, summarize, validateCases, type CaseResult } from "../src/engine/validate/validation.js";
import { readValidationFiles } from "../src/node/validationFiles.js";

const casesPath = fileURLToPath(new URL("../../shared/validation/training.json", import.meta.url));

describe("percentile", () => {
  it("interpolates linearly between closest ranks, as numpy.percentile does by default", () => {
    // sorted [1, 2, 4, 10]; q = 0.9: position 0.9 * 3 = 2.7 -> 4 + 0.7 * (10 - 4) = 8.2
    expect(percentile([10, 1, 4, 2], 0.9)).toBeCloseTo(8.2, 12);
    // median of an even count: position 1.5 -> 2 + 0.5 * (4 - 2) = 3
    expect(percentile([10, 1, 4, 2], 0.5)).toBeCloseTo(3, 12);
    expect(percentile([10, 1, 4, 2], 0)).toBe(1);
    expect(percentile([10, 1, 4, 2], 1)).toBe(10);
    expect(percentile([7], 0.9)).toBe(7);
  });
  it("summarize takes absolute errors and counts failures", () => {
    const r = (errorPct: number | null): CaseResult => ({
      id: "x",
      group: "g",
      systemId: "s",
      chips: 1,
      predicted: null,
      measured: { stepSeconds: 1 },
      errorPct,
    });
    const s = summarize([r(-10), r(2), r(4), r(null)]);
    expect(s.count).toBe(4);
    expect(s.failed).toBe(1);
    expect(s.medianAbsErrorPct).toBeCloseTo(4, 12); // |errors| sorted [2, 4, 10]
    expect(s.meanSignedErrorPct).toBeCloseTo(-4 / 3, 12);
  });
});

describe("validation cases", () => {
  it("the cases file is where the tests look for it", () => {
    expect(existsSync(casesPath)).toBe(true);
  });
  const all = JSON.parse(readFileSync(casesPath, "utf8")) as unknown[];
  const cases = all.filter((c) => (c as { kind?: string }).kind === "training") as TrainingCase[];
  // Each case on the framework its group ran (groups.json beside the cases).
  const report = validateCases(cases, builtinCatalog(), readValidationFiles([casesPath]).frameworkOf);

  it("holds training cases, each of the documented format", () => {
    expect(cases.length).toBeGreaterThan(0);
    for (const c of cases) expect(Value.Errors(TrainingCase, c).First()?.message, c.id).toBeUndefined();
  });
  it("predicts every case (none failed)", () => {
    const failures = report.cases.filter((c) => c.failure).map((c) => `${c.id}: ${c.failure}`);
    expect(failures).toEqual([]);
    expect(report.summary.failed).toBe(0);
    expect(report.summary.count).toBe(cases.length);
  });
  it("every prediction is a finite positive step time", () => {
    for (const c of report.cases) {
      expect(Number.isFinite(c.predicted!.stepSeconds), c.id).toBe(true);
      expect(c.predicted!.stepSeconds, c.id).toBeGreaterThan(0);
      // error as documented: (predicted - measured) / measured
      expect(c.errorPct!).toBeCloseTo((100 * (c.predicted!.stepSeconds - c.measured.stepSeconds)) / c.measured.stepSeconds, 9);
    }
  });
  it("median absolute step-time error is at most 10 %", () => {
    expect(report.summary.medianAbsErrorPct).not.toBeNull();
    expect(report.summary.medianAbsErrorPct!).toBeLessThanOrEqual(10);
  });
  it("90th-percentile absolute step-time error is at most 25 %", () => {
    expect(report.summary.p90AbsErrorPct).not.toBeNull();
    expect(report.summary.p90AbsErrorPct!).toBeLessThanOrEqual(25);
  });
  it("the overall summary agrees with percentile() over the per-case errors", () => {
    const abs = report.cases.map((c) => Math.abs(c.errorPct!));
    expect(report.summary.medianAbsErrorPct).toBeCloseTo(percentile(abs, 0.5), 9);
    expect(report.summary.p90AbsErrorPct).toBeCloseTo(percentile(abs, 0.9), 9);
  });
});
