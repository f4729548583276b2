// The claims report: peak ratios equal the catalog's arithmetic, and every claim has a source and a
// verdict with its reason. Narrowed planner space and fewer serving requests keep it fast.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { builtinCatalog } from "../src/engine/catalog/builtin.js";
import { checkClaims } from "../src/engine/claims/claims.js";
import { claimsMarkdown } from "../src/engine/claims/claimsMarkdown.js";
import { ultrasim } from "./cliHelpers.js";

const catalog = builtinCatalog();
const report = checkClaims(catalog, {
  space: {
    zero: [1, 2],
    recompute: ["selective", "full"],
    vpp: [1],
    cp: [1],
    etp: ["1"],
    placement: ["tp-cp-dp-pp"],
    sequenceParallel: [true],
  },
  servingRequests: 60,
});
const byId = (id: string) => report.claims.find((c) => c.claim.id === id)!;

describe("claims", () => {
  it("peak compute per UltraServer is 144 x 2,517 over 64 x 1,299 TFLOP/s = 4.36x", () => {
    const peak = byId("trn3-vs-trn2-compute").figures[0]!;
    expect(peak.trn3).toBeCloseTo((144 * 2517) / 1000, 6);
    expect(peak.trn2).toBeCloseTo((64 * 1299) / 1000, 6);
    expect(peak.ratio).toBeCloseTo((144 * 2517) / (64 * 1299), 9);
    expect(peak.ratio!).toBeCloseTo(4.36, 2);
  });

  it("memory bandwidth per UltraServer is 705.6 / 185.6 = 3.80x and holds", () => {
    const bw = byId("trn3-vs-trn2-memory-bandwidth");
    expect(bw.figures[0]!.ratio).toBeCloseTo(705.6 / 185.6, 6);
    expect(bw.verdict).toBe("holds");
  });

  it("delivered throughput never exceeds peak at the precisions each system ran", () => {
    const c = byId("trn3-vs-trn2-compute");
    const trn2 = catalog.chip("trainium2");
    const trn3 = catalog.chip("trainium3");
    for (const f of c.figures.slice(1)) {
      if (f.ratio === null) continue;
      // Serving runs fp8 on both (the 4.36x); training runs what each default framework trains in:
      // Trn3 MXFP8 under TorchTitan Neuron, Trn2 bf16 (no 8-bit recipe on Trainium2).
      const [p2, p3] = f.trainedAt ? [f.trainedAt.trn2!, f.trainedAt.trn3!] : ["fp8", "mxfp8"];
      const peak = (144 * trn3.peakTflops[p3 as "mxfp8"]!.value) / (64 * trn2.peakTflops[p2 as "bf16"]!.value);
      expect(f.ratio, f.workload).toBeLessThanOrEqual(peak * 1.0001);
    }
    const training = c.figures.filter((f) => f.trainedAt);
    expect(training).toHaveLength(2);
    for (const f of training) expect(f.trainedAt).toEqual({ trn2: "bf16", trn3: "mxfp8" });
    expect(c.figures.map((f) => f.workload)).toEqual([
      "peak arithmetic",
      "Llama 3.1 405B pretraining",
      "DeepSeek-V3 pretraining",
      "Llama 3.3 70B serving",
      "GPT-OSS-120B serving",
    ]);
  });

  it("every claim carries its source and one of the verdicts", () => {
    for (const c of report.claims) {
      expect(c.claim.source).toMatch(/^https?:\/\//);
      expect(["holds", "holds only for some workloads", "does not follow from the published specs", "cannot be checked"]).toContain(
        c.verdict,
      );
    }
    expect(claimsMarkdown(report, "x")).toMatch(/## Trn3 UltraServer vs Trn2 UltraServer/);
  });

  it("each reason states the figures its verdict rests on", () => {
    const chipRatio = `${(144 / 64).toFixed(2)}x`; // 2.25x: the Trn3 UltraServer has 144 chips, the Trn2 one 64
    const compute = byId("trn3-vs-trn2-compute");
    expect(compute.reason).toContain(`(${compute.figures[0]!.ratio!.toFixed(2)}x)`);
    expect(compute.reason).toContain(`${chipRatio} chip count`);
    const delivered = compute.figures
      .slice(1)
      .map((f) => f.ratio)
      .filter((r): r is number => r !== null);
    expect(compute.reason).toContain(`${Math.min(...delivered).toFixed(2)}-${Math.max(...delivered).toFixed(2)}x`);

    const bw = byId("trn3-vs-trn2-memory-bandwidth");
    expect(bw.reason).toContain(`Per UltraServer ${(705.6 / 185.6).toFixed(2)}x`);
    expect(bw.reason).toContain(`${chipRatio} the chips`);

    const energy = byId("trn3-vs-trn2-energy-efficiency");
    const trn2W = catalog.chip("trainium2").tdpW.value;
    expect(energy.reason).toContain(`Trainium2 ${trn2W} W`);
    const eRatios = energy.figures.map((f) => f.ratio!).filter((r) => Number.isFinite(r));
    expect(energy.reason).toContain(`${Math.min(...eRatios).toFixed(2)}-${Math.max(...eRatios).toFixed(2)}x the tokens per joule`);

    expect(byId("trn3-ultracluster-scale").reason).toMatch(/not a job size/);
  });

  it("the cost claim cannot be checked without a Trn3 price, and says so in its verdict, not only its reason", () => {
    const cost = byId("trn3-customer-cost");
    expect(cost.verdict).toBe("cannot be checked");
    expect(cost.reason).toMatch(/^No public Trn3 price exists/);
    expect(cost.predicted.join(" ")).toMatch(/no public price/);
    expect(claimsMarkdown(report, "x")).toContain("**Verdict: cannot be checked.** No public Trn3 price exists");
  });

  it("energy: a higher Trainium3 power estimate never improves Trn3's tokens per joule", () => {
    const lines = byId("trn3-vs-trn2-energy-efficiency").predicted.filter((l) => l.includes("700 / 1,000 / 1,400 W"));
    expect(lines.length).toBeGreaterThan(0);
    for (const l of lines) {
      const [a, b, c] = [...l.matchAll(/(\d+\.\d+)x/g)].slice(0, 3).map((m) => Number(m[1]));
      expect(a).toBeGreaterThan(b!);
      expect(b).toBeGreaterThan(c!);
    }
  });
});

describe("docs/claims.md", () => {
  // The report in the repository is what the command it names writes today (its first line says which):
  // a model change that moves a verdict or a ratio must regenerate it.
  it("is `ultrasim claims --md` as the model stands", () => {
    const r = ultrasim("claims", "--md");
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(new URL("../docs/claims.md", import.meta.url), "utf8")).toBe(r.stdout);
  }, 60_000);
});
