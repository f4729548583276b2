// Energy, cost and reliability: hand derivations, closed form against Monte Carlo, determinism,
// provenance of every figure, and bad inputs.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { builtinCatalog } from "../src/engine/catalog/builtin.js";
import { priceFor, usdPerMillionTokens } from "../src/engine/analytic/cost.js";
import { energyJoules, JOULES_PER_KWH } from "../src/engine/analytic/energy.js";
import { chipPowerWatts, clusterPower } from "../src/engine/analytic/power.js";
import { seededRandom } from "../src/engine/random.js";
import { UltrasimError } from "../src/engine/errors.js";
import { closedFormGoodput, youngDalyIntervalSeconds } from "../src/engine/reliability/goodput.js";
import { simulateRun } from "../src/engine/reliability/monteCarlo.js";
import { predictReliability } from "../src/engine/reliability/reliability.js";
import { logSpacedCounts } from "../src/engine/reliability/scaleScan.js";
import { trainingOperations } from "../src/engine/report/operationsReport.js";
import { trainingReport } from "../src/engine/report/trainingReport.js";
import { DEFAULT_TRAINING_SCENARIO } from "../src/engine/catalog/scenario.js";
import { predictScenario } from "../src/engine/train.js";

const catalog = builtinCatalog();

describe("hand derivations", () => {
  it("Young–Daly interval is sqrt(2·C·MTBF)", () => {
    // C = 8 s, M = 10,000 s: sqrt(160,000) = 400 s.
    expect(youngDalyIntervalSeconds(8, 10_000)).toBeCloseTo(400, 9);
  });

  it("Young's interval maximizes the closed-form goodput", () => {
    const p = { mtbfSeconds: 20_000, checkpointSeconds: 10, restartSeconds: 300 };
    const best = youngDalyIntervalSeconds(10, 20_000);
    const at = (tau: number) => closedFormGoodput({ ...p, intervalSeconds: tau });
    expect(at(best)).toBeGreaterThan(at(best * 0.7));
    expect(at(best)).toBeGreaterThan(at(best * 1.4));
  });

  it("closed-form goodput by hand", () => {
    // τ 100, C 10, R 50, M 1,000: 100 / (110 · (1 + (50 + 55)/1000)) = 100 / 121.55.
    expect(closedFormGoodput({ mtbfSeconds: 1000, checkpointSeconds: 10, restartSeconds: 50, intervalSeconds: 100 })).toBeCloseTo(
      100 / 121.55,
      9,
    );
  });

  it("energy = power × time, and the chip power model by hand", () => {
    expect(energyJoules(1500, 3600) / JOULES_PER_KWH).toBeCloseTo(1.5, 12);
    // TDP 700, idle 15% = 105 W; share min(1, 0.3/0.6 + 0.3·0.2) = 0.56: 105 + 595·0.56 = 438.2 W.
    expect(
      chipPowerWatts(700, { hfu: 0.3, memoryUtilization: 0.2 }, { idleFractionOfTdp: 0.15, hfuAtTdp: 0.6, memoryWeight: 0.3 }),
    ).toBeCloseTo(438.2, 9);
    // Never above TDP, never below idle.
    fc.assert(
      fc.property(fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }), (hfu, mem) => {
        const w = chipPowerWatts(1000, { hfu, memoryUtilization: mem }, { idleFractionOfTdp: 0.15, hfuAtTdp: 0.6, memoryWeight: 0.3 });
        return w >= 150 - 1e-9 && w <= 1000 + 1e-9;
      }),
    );
  });

  it("cluster power is chips × IT watts × PUE", () => {
    const chip = catalog.chip("h100-sxm");
    const p = clusterPower({ chip, systemId: "dgx-h100", chips: 1000, hfu: 0.4, memoryUtilization: 0.2, pue: 1.2 });
    const parts = ["accelerator", "hbm", "host", "scaleUpNetwork", "scaleOutNetwork", "fans"] as const;
    const it = parts.reduce((s, k) => s + p.perChip[k].value!, 0);
    expect(p.facilityWatts.value).toBeCloseTo(1000 * it * 1.2, 6);
  });

  it("$ per 1M tokens by hand, and a table price carries kind, source and date", () => {
    // $2/chip-h × 1,000 chips = $2,000/h; 1M tokens/s = 3.6e9 tokens/h: $0.5556 per 1M tokens.
    expect(usdPerMillionTokens(2, 1000, 1e6)).toBeCloseTo(2000 / 3600, 9);
    const p5 = priceFor("p5.48xlarge");
    expect(p5.kind).toBe("on-demand");
    expect(p5.usdPerChipHour.value).toBeCloseTo(55.04 / 8, 6);
    expect(p5.usdPerChipHour.source).toMatch(/^https?:\/\//);
    expect(p5.usdPerChipHour.note).toMatch(/as of/);
  });

  it("no public price gives null, never a number", () => {
    const trn3 = priceFor("trn3-ultraserver");
    expect(trn3.usdPerChipHour.value).toBeNull();
    expect(trn3.usdPerChipHour.note).toMatch(/no public/);
    expect(priceFor("dgx-h100").usdPerChipHour.value).toBeNull();
  });

  it("log-spaced chip counts", () => {
    expect(logSpacedCounts(1000, 1_000_000, 4)).toEqual([1000, 10_000, 100_000, 1_000_000]);
    expect(logSpacedCounts(1000, 1000, 5)).toEqual([1000]);
  });
});

describe("closed form against Monte Carlo", () => {
  // Where the closed form's assumptions hold (interval, checkpoint and restart small against the MTBF).
  const cases = [
    { chips: 16_384, checkpoint: "sync" as const, hotSpares: 0 },
    { chips: 4096, checkpoint: "async" as const, hotSpares: 0 },
    { chips: 8192, checkpoint: "in-memory" as const, hotSpares: 64 },
    { chips: 2048, checkpoint: "sync" as const, hotSpares: 16 },
  ];
  for (const c of cases) {
    it(`agree within 3%: ${c.chips} chips, ${c.checkpoint}, ${c.hotSpares} spares`, () => {
      const r = predictReliability({
        chipId: "h100-sxm",
        ...c,
        parameters: 405e9,
        peerBytesPerSecond: 50e9,
        workSeconds: 60 * 86400,
        seed: 7,
      });
      expect(r.closedForm.valid).toBe(true);
      expect(r.monteCarlo!.failures.value!).toBeGreaterThan(50);
      const cf = r.closedForm.goodput.value!;
      const mc = r.monteCarlo!.goodput.value!;
      expect(Math.abs(mc - cf) / cf).toBeLessThan(0.03);
    });
  }

  it("the Monte Carlo failure count matches the rate (Poisson, within 4 sd)", () => {
    const m = 1000;
    const sim = simulateRun({
      mtbfSeconds: m,
      checkpointSeconds: 1,
      restartSeconds: 10,
      intervalSeconds: 40,
      workSeconds: 2e6,
      seed: 3,
      components: [
        { id: "a", rate: 3 },
        { id: "b", rate: 1 },
      ],
    });
    const expected = sim.wallSeconds / m;
    expect(Math.abs(sim.failures - expected)).toBeLessThan(4 * Math.sqrt(expected));
    expect(sim.failuresByComponent.a! / sim.failures).toBeGreaterThan(0.7);
    expect(sim.failuresByComponent.a! / sim.failures).toBeLessThan(0.8);
  });

  it("is deterministic for a seed and differs across seeds", () => {
    const input = {
      chipId: "trainium3",
      chips: 100_000,
      parameters: 70e9,
      peerBytesPerSecond: 25e9,
      checkpoint: "sync" as const,
      hotSpares: 0,
      workSeconds: 5 * 86400,
    };
    const a = predictReliability({ ...input, seed: 42 });
    const b = predictReliability({ ...input, seed: 42 });
    const c = predictReliability({ ...input, seed: 43 });
    expect(b.monteCarlo).toEqual(a.monteCarlo);
    expect(c.monteCarlo!.effectiveSeconds.value).not.toBe(a.monteCarlo!.effectiveSeconds.value);
    const r1 = seededRandom(5);
    const r2 = seededRandom(5);
    const xs = Array.from({ length: 1000 }, () => r1.next());
    expect(xs).toEqual(Array.from({ length: 1000 }, () => r2.next()));
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.05);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
  });

  it("goodput falls with scale", () => {
    const at = (chips: number) =>
      predictReliability({
        chipId: "trainium3",
        chips,
        parameters: 405e9,
        peerBytesPerSecond: 25e9,
        checkpoint: "sync",
        hotSpares: 0,
        workSeconds: 86400,
        monteCarlo: false,
      }).closedForm.goodput.value!;
    expect(at(1000)).toBeGreaterThan(at(10_000));
    expect(at(10_000)).toBeGreaterThan(at(100_000));
  });
});

describe("Llama 3 405B on 16,384 H100 (Meta's figures)", () => {
  it("predicts ~7.8 unexpected interruptions a day and over 90% effective training time", () => {
    const r = predictReliability({
      chipId: "h100-sxm",
      chips: 16_384,
      parameters: 405e9,
      peerBytesPerSecond: 50e9,
      checkpoint: "sync",
      hotSpares: 0,
      workSeconds: 54 * 86400,
    });
    // 419 interruptions in 54 days = 7.76 a day.
    expect(r.interruptionsPerDay.value!).toBeCloseTo(419 / 54, 2);
    expect(r.closedForm.goodput.value!).toBeGreaterThan(0.9);
    expect(r.monteCarlo!.goodput.value!).toBeGreaterThan(0.9);
    expect(r.closedForm.goodput.value!).toBeLessThan(0.98);
  });
});

/** Every number in the energy, cost and reliability sections sits in a figure that says where it comes from. */
function checkProvenance(value: unknown, path: string, inFigure: boolean, problems: string[]): void {
  if (typeof value === "number") {
    if (!inFigure) problems.push(`${path}: a number outside a figure`);
    return;
  }
  if (Array.isArray(value)) return value.forEach((v, i) => checkProvenance(v, `${path}[${i}]`, inFigure, problems));
  if (!value || typeof value !== "object") return;
  const o = value as Record<string, unknown>;
  const isFigure = "value" in o && "unit" in o;
  if (isFigure) {
    if (!["computed", "sourced", "estimate", "input"].includes(o.from as string)) problems.push(`${path}: no origin`);
    if ((o.from === "sourced" || o.from === "estimate") && o.value !== null && !o.source)
      problems.push(`${path}: ${String(o.from)} without a source`);
    if (o.from === "computed" && !Array.isArray(o.estimates)) problems.push(`${path}: computed without its list of estimates`);
    if (o.value === null && !o.note) problems.push(`${path}: no figure and no reason`);
  }
  for (const [k, v] of Object.entries(o)) {
    // The seed and the chip counts are the run's own inputs, echoed back.
    const exempt = ["seed", "chips", "hotSpares"].includes(k);
    checkProvenance(v, `${path}.${k}`, isFigure || exempt, problems);
  }
}

describe("every figure says where it comes from", () => {
  const scenario = { ...DEFAULT_TRAINING_SCENARIO };
  const result = predictScenario(scenario, catalog);
  for (const [name, options] of [
    ["defaults", {}],
    [
      "reliability, tokens, price, carbon",
      { reliability: true, tokens: 1e12, usdPerChipHour: 3, gridGco2PerKwh: 350, checkpoint: "in-memory" as const, hotSpares: 144 },
    ],
  ] as const) {
    it(name, () => {
      const report = trainingReport(result, trainingOperations(result, catalog, options));
      const problems: string[] = [];
      checkProvenance(
        { energy: report.energy, cost: report.cost, reliability: report.reliability, run: report.runLength },
        "report",
        false,
        problems,
      );
      expect(problems).toEqual([]);
      expect(report.energy!.perStep.joules.value!).toBeGreaterThan(0);
    });
  }

  it("a figure resting on an estimate says so (Trainium3 TDP is an estimate)", () => {
    const ops = trainingOperations(result, catalog, {});
    expect(result.chipId).toBe("trainium3");
    expect(ops.energy.perStep.joules.estimates).toContain("trainium3 TDP");
    expect(ops.energy.power.perChip.host.from).toBe("estimate");
  });
});

describe("bad inputs", () => {
  const result = predictScenario(DEFAULT_TRAINING_SCENARIO, catalog);
  const code = (f: () => unknown) => {
    try {
      f();
    } catch (e) {
      return e instanceof UltrasimError ? `${e.code} ${e.where.field}` : String(e);
    }
    return "no error";
  };
  it("rejects a negative price, a PUE below 1 and a zero failure rate", () => {
    expect(code(() => trainingOperations(result, catalog, { usdPerChipHour: -1 }))).toBe("INVALID_INPUT --price-per-chip-hour");
    expect(code(() => trainingOperations(result, catalog, { pue: 0.9 }))).toBe("INVALID_INPUT --pue");
    expect(code(() => trainingOperations(result, catalog, { reliability: true, failuresPerChipYear: 0 }))).toBe(
      "INVALID_INPUT --failures-per-chip-year",
    );
  });
});
