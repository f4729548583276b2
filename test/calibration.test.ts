// The training calibration: the least-squares solver on problems solved by hand, the calibration's
// physical bounds and provenance, chips of one die sharing kernel efficiencies, every open case
// fitting in memory as it ran, and `validate --cross-validate` end to end.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { predictTraining } from "../src/engine/analytic/trainingStep.js";
import { builtinCatalog } from "../src/engine/catalog/builtin.js";
import { Catalog } from "../src/engine/catalog/catalog.js";
import { crossValidate } from "../src/engine/calibrate/fitTraining.js";
import { checkFrameworkLinks, frameworkOfGroup } from "../src/engine/calibrate/framework.js";
import { leastSquares, solveSpd } from "../src/engine/calibrate/levenbergMarquardt.js";
import { PARAMETERS, priorOf, type CalibratedParameter } from "../src/engine/calibrate/parameters.js";
import { validateCases } from "../src/engine/validate/validation.js";
import { caseFrameworks, readValidationFiles } from "../src/node/validationFiles.js";

const cli = fileURLToPath(new URL("../dist/src/cli/main.js", import.meta.url));
const casesPath = fileURLToPath(new URL("../../shared/validation/training.json", import.meta.url));
const table5Path = fileURLToPath(new URL("../data/validation/korthikanti-2022-table5.json", import.meta.url));

describe("least squares", () => {
  it("solves a symmetric positive-definite system as done by hand", () => {
    // [[4, 2], [2, 3]] x = [2, 1]: det 8, x = [(2*3 - 2*1)/8, (4*1 - 2*2)/8] = [0.5, 0]
    const x = solveSpd(
      [
        [4, 2],
        [2, 3],
      ],
      [2, 1],
    )!;
    expect(x[0]).toBeCloseTo(0.5, 12);
    expect(x[1]).toBeCloseTo(0, 12);
    expect(solveSpd([[-1]], [1])).toBeNull();
  });
  it("recovers the line through noiseless points, with a prior too weak to matter", () => {
    // y = 0.3 x + 0.2 at x = 0..9; residuals (a x + b - y) / 0.01.
    const xs = Array.from({ length: 10 }, (_, i) => i);
    const r = leastSquares({
      parameters: [
        { lo: 0, hi: 1, prior: 0.5, priorSd: 100 },
        { lo: 0, hi: 1, prior: 0.5, priorSd: 100 },
      ],
      blocks: xs.length,
      dependents: [xs.map((_, i) => i), xs.map((_, i) => i)],
      residual: (i, [a, b]) => (a! * xs[i]! + b! - (0.3 * xs[i]! + 0.2)) / 0.01,
    });
    expect(r.values[0]).toBeCloseTo(0.3, 4);
    expect(r.values[1]).toBeCloseTo(0.2, 4);
  });
  it("stays inside the bounds when the data want more, and the prior pulls as its spread says", () => {
    // One datum wants a = 2, bounded to [0, 1]: the fit ends just under 1.
    const bounded = leastSquares({
      parameters: [{ lo: 0, hi: 1, prior: 0.5, priorSd: 100 }],
      blocks: 1,
      dependents: [[0]],
      residual: (_, [a]) => (a! - 2) / 0.01,
    });
    expect(bounded.values[0]).toBeLessThan(1);
    expect(bounded.values[0]).toBeGreaterThan(0.99);
    // Datum 0.8 with spread 0.1 and prior 0.4 with spread 0.1: the posterior mean is their average, 0.6,
    // and its sd 0.1 / sqrt(2) (conjugate normal update).
    const pulled = leastSquares({
      parameters: [{ lo: 0, hi: 1, prior: 0.4, priorSd: 0.1 }],
      blocks: 1,
      dependents: [[0]],
      residual: (_, [a]) => (a! - 0.8) / 0.1,
    });
    expect(pulled.values[0]).toBeCloseTo(0.6, 3);
    expect(pulled.sd[0]).toBeCloseTo(0.1 / Math.SQRT2, 2);
  });
});

describe("the built-in calibration", () => {
  const catalog = builtinCatalog();
  const values = catalog.calibrationValues().values;
  it("holds fitted values only, each inside its physical bounds and not on one, with what it was fitted on", () => {
    expect(values.length).toBeGreaterThan(10);
    for (const v of values) {
      const def = PARAMETERS[v.name];
      const where = `${v.owner} ${v.id} ${v.name} = ${v.value}`;
      expect(def.owner, where).toBe(v.owner);
      expect(v.value, where).toBeGreaterThan(def.lo);
      expect(v.value, where).toBeLessThan(def.hi);
      const margin = 0.01 * (def.hi - def.lo);
      expect(Math.min(v.value - def.lo, def.hi - v.value), `${where} sits on a bound`).toBeGreaterThan(margin);
      expect(v.atBound, where).toBe(false);
      expect(v.fittedOn?.length, where).toBeGreaterThan(0);
      expect(v.sd, where).toBeGreaterThan(0);
    }
  });
  it("chips of one die run at the same kernel efficiencies", () => {
    const chips = catalog.listChips();
    const bySilicon = new Map<string, string[]>();
    for (const c of chips) if (c.silicon) bySilicon.set(c.silicon, [...(bySilicon.get(c.silicon) ?? []), c.id]);
    // H100 SXM, H100 96 GB, H800 and H200 are one die; so are B200 and GB200's GPU, and B300 and GB300's.
    expect(bySilicon.get("gh100")?.sort()).toEqual(["h100-96gb", "h100-sxm", "h200", "h800"]);
    expect(bySilicon.get("gb100")?.sort()).toEqual(["b200", "gb200-gpu"]);
    expect(bySilicon.get("gb110")?.sort()).toEqual(["b300", "gb300-gpu"]);
    for (const ids of bySilicon.values()) {
      const [first, ...rest] = ids.map((id) => catalog.efficiency(id).efficiency);
      for (const e of rest) {
        expect(e.gemm).toEqual(first!.gemm);
        expect(e.attention).toBe(first!.attention);
        expect(e.attentionHalfKeys).toBe(first!.attentionHalfKeys);
        expect(e.gemmHalfDim).toBe(first!.gemmHalfDim);
      }
    }
  });
  it("a framework's fitted values are shared by every chip it runs on", () => {
    const overheads = ["h100-sxm", "b200", "gb300-gpu"].map((chip) => catalog.efficiency(chip, "megatron-core").efficiency.layerOverheadUs);
    expect(new Set(overheads).size).toBe(1);
    // torchtitan overlaps no tensor-parallel traffic by default (async TP is opt-in): none is hidden.
    expect(catalog.efficiency("h100-sxm", "torchtitan").efficiency.tpOverlap).toBe(0);
  });
});

describe("the open training cases", () => {
  const input = readValidationFiles([casesPath]);
  it("each fits in memory as predicted: each one ran", () => {
    const catalog = builtinCatalog();
    const notFitting = input.training.filter((c) => {
      const hw = catalog.hardware(c.system.id, {}, c.system.scaleOutGbpsPerChip, input.frameworkOf(c));
      return !predictTraining({ model: c.model, hw, chips: c.system.chips, run: c.run, parallelism: c.parallelism }).memory.fits;
    });
    expect(notFitting.map((c) => c.id)).toEqual([]);
  });
  // One leave-one-group-out refit (about 10 s) serves the tests below.
  let heldOutReport: ReturnType<typeof crossValidate> | undefined;
  const heldOutAll = () => {
    const catalog = builtinCatalog();
    heldOutReport ??= crossValidate(input.training, catalog, input.frameworkOf, { full: catalog.calibrationValues() });
    return heldOutReport;
  };
  const heldOut = () => heldOutAll().summary;
  it("held out, the fit predicts better than the priors alone (it learns the machines, not the cases)", () => {
    const catalog = builtinCatalog();
    const priorsOnly = new Catalog({ ...catalog.entries(), calibration: { method: "none", values: [] } });
    const priors = validateCases(input.training, priorsOnly, input.frameworkOf).summary;
    expect(heldOut().count).toBe(input.training.length);
    expect(heldOut().medianAbsErrorPct!).toBeLessThan(priors.medianAbsErrorPct!);
    expect(heldOut().p90AbsErrorPct!).toBeLessThan(priors.p90AbsErrorPct!);
  });
  it("held out, median |error| <= 10% (issue 15's bar)", () => {
    expect(heldOut().medianAbsErrorPct!).toBeLessThanOrEqual(10);
  });
  it("held out, p90 |error| <= 25% (issue 15's bar)", () => {
    expect(heldOut().p90AbsErrorPct!).toBeLessThanOrEqual(25);
  });
  // Met since stop 27, when Trainium1's GEMM prior was re-read as the as-written NKIBench figure after
  // this held-out error was known (data/published-kernel-efficiency.json): no longer a blind test.
  it("Trainium1 held out, median |error| <= 12% (issue 17's bar)", () => {
    expect(heldOutAll().groups.neuron_trn1_training!.medianAbsErrorPct!).toBeLessThanOrEqual(12);
  });
});

describe("priors from published kernel benchmarks (data/published-kernel-efficiency.json)", () => {
  const published = JSON.parse(
    readFileSync(fileURLToPath(new URL("../data/published-kernel-efficiency.json", import.meta.url)), "utf8"),
  ) as {
    silicon: string;
    parameter: CalibratedParameter;
    value: number;
    sd: number;
    source: string;
  }[];
  it("each names its silicon, a calibrated parameter inside its bounds, and a URL", () => {
    expect(published.length).toBeGreaterThan(0);
    for (const p of published) {
      expect(PARAMETERS[p.parameter], p.parameter).toBeDefined();
      expect(p.value).toBeGreaterThan(PARAMETERS[p.parameter].lo);
      expect(p.value).toBeLessThan(PARAMETERS[p.parameter].hi);
      expect(p.sd).toBeGreaterThan(0);
      expect(p.source).toMatch(/^https:\/\//);
    }
  });
  it("is the prior of its silicon and of the chips that borrow from it, ahead of the round figure", () => {
    for (const p of published) {
      expect(priorOf(p.parameter, p.silicon).value).toBe(p.value);
      expect(priorOf(p.parameter, ["a-chip-that-borrows", p.silicon]).value).toBe(p.value);
      expect(priorOf(p.parameter, "a-chip-with-none").value).toBe(PARAMETERS[p.parameter].prior.value);
    }
  });
  it("the shipped calibration was fitted with it as the prior", () => {
    const catalog = builtinCatalog();
    for (const p of published) {
      const v = catalog.calibrationValues().values.find((c) => c.owner === "silicon" && c.id === p.silicon && c.name === p.parameter);
      expect(v, `${p.silicon} ${p.parameter} is fitted`).toBeDefined();
      expect(v!.prior, `${p.silicon} ${p.parameter}`).toBe(p.value);
    }
  });
});

describe("ultrasim validate --cross-validate", () => {
  it("takes several files and reports the held-out errors in validate's JSON form, with progress on stderr", () => {
    const r = spawnSync(process.execPath, [cli, "validate", casesPath, table5Path, "--cross-validate", "--json"], {
      encoding: "utf8",
      timeout: 120_000,
    });
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as {
      crossValidation: { summary: Record<string, unknown>; groups: Record<string, Record<string, unknown>> };
      summary: Record<string, unknown>;
      cases: { group: string }[];
    };
    const fields = Object.keys(out.summary).sort();
    expect(Object.keys(out.crossValidation.summary).sort()).toEqual(fields);
    const groups = new Set(out.cases.map((c) => c.group));
    expect(Object.keys(out.crossValidation.groups).sort()).toEqual([...groups].sort());
    for (const g of Object.values(out.crossValidation.groups)) expect(Object.keys(g).sort()).toEqual(fields);
    expect(groups.has("korthikanti_2022_table5")).toBe(true);
    expect(r.stderr).toMatch(/holding out/);
  });
  it("for people: held-out table first, and a last line with the held-out figure before the in-sample one", () => {
    const r = spawnSync(process.execPath, [cli, "validate", casesPath, "--cross-validate"], { encoding: "utf8", timeout: 120_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.indexOf("held out (leave one group out")).toBeLessThan(r.stdout.indexOf("in sample (fitted on every group)"));
    const last = r.stdout.trim().split("\n").at(-1)!;
    expect(last).toMatch(
      /^held out: median \d+\.\d%, p90 \d+\.\d% \(what to expect on runs not in these files\); in sample: median \d+\.\d%, p90 \d+\.\d%$/,
    );
    // The same figures as the JSON's, to the printed digit.
    const json = JSON.parse(
      spawnSync(process.execPath, [cli, "validate", casesPath, "--cross-validate", "--json"], { encoding: "utf8", timeout: 120_000 })
        .stdout,
    ) as { crossValidation: { summary: { medianAbsErrorPct: number } } };
    expect(last).toContain(`held out: median ${json.crossValidation.summary.medianAbsErrorPct.toFixed(1)}%`);
  });
  it("an unknown framework is one line naming the flag, exit 2", () => {
    const r = spawnSync(process.execPath, [cli, "train", "--framework", "deepspeedy"], { encoding: "utf8", timeout: 30_000 });
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(/--framework|framework/);
    expect(r.stderr).toMatch(/megatron-core/);
  });
});

describe("groups.json beside a cases file", () => {
  it("names each group's framework", () => {
    const groups = JSON.parse(
      readFileSync(fileURLToPath(new URL("../../shared/validation/groups.json", import.meta.url)), "utf8"),
    ) as Record<string, { kind: string; software: string }>;
    const input = readValidationFiles([casesPath]);
    const frameworks = new Set(
      builtinCatalog()
        .listFrameworks()
        .map((f) => f.id),
    );
    const releases = new Map(
      builtinCatalog()
        .listFrameworks()
        .map((f) => [f.id, f.versionOf ?? f.id]),
    );
    const listed = caseFrameworks();
    for (const c of input.training) {
      expect(frameworks.has(input.frameworkOf(c)!), c.group).toBe(true);
      // The release data/validation/case-frameworks.json reads from the case's own words (it may be a
      // compiled variant: test/flashAttention2.test.ts checks those), else the group's software itself
      // or a dated release of it.
      if (listed.has(c.id)) expect(input.frameworkOf(c)).toBe(listed.get(c.id));
      else expect(releases.get(input.frameworkOf(c)!), c.group).toBe(groups[c.group]!.software);
    }
  });

  it("reads the release of the software that the group's 'via' dates", () => {
    const frameworks = builtinCatalog().listFrameworks();
    // megatron-lm is the 2022 code, megatron-lm-2021 the SC'21 code (data/frameworks.json).
    expect(frameworkOfGroup(frameworks, "megatron-lm", "Megatron-LM as of Narayanan et al., SC'21 (2021)")).toBe("megatron-lm-2021");
    expect(frameworkOfGroup(frameworks, "megatron-lm", "Megatron-LM as of Korthikanti et al., 2022")).toBe("megatron-lm");
    expect(frameworkOfGroup(frameworks, "megatron-lm", "a 2023 run")).toBe("megatron-lm"); // the latest release up to that year
    expect(frameworkOfGroup(frameworks, "megatron-lm", "a 2019 run")).toBe("megatron-lm"); // none that old: the software's own id
    expect(frameworkOfGroup(frameworks, "megatron-lm", "Megatron-LM README")).toBe("megatron-lm"); // no year
    expect(frameworkOfGroup(frameworks, "megatron-core", "NeMo Megatron-Bridge 26.04.01 (2026)")).toBe("megatron-core"); // no dated releases
    const sc21 = readValidationFiles([casesPath]).training.find((c) => c.group === "megatron_sc21_weak_scaling");
    expect(sc21 && readValidationFiles([casesPath]).frameworkOf(sc21)).toBe("megatron-lm-2021");
  });

  it("a release that names an unknown framework to be fitted with is refused, naming the field", () => {
    const frameworks = builtinCatalog().listFrameworks();
    const broken = frameworks.map((f) => (f.id === "megatron-lm-2021" ? { ...f, fittedWith: "megatron-lm-2020" } : f));
    expect(() => checkFrameworkLinks({ defaults: { byVendor: {} }, frameworks: broken })).toThrow(
      /megatron-lm-2021.*fittedWith 'megatron-lm-2020'/,
    );
    expect(() => checkFrameworkLinks({ defaults: { byVendor: {} }, frameworks })).not.toThrow();
  });

  it("a dated release reads the fitted parameters of the framework it is fitted with", () => {
    const catalog = builtinCatalog();
    const a = catalog.efficiency("a100-80gb", "megatron-lm-2021").efficiency;
    const b = catalog.efficiency("a100-80gb", "megatron-lm").efficiency;
    expect(a.layerOverheadUs).toBe(b.layerOverheadUs);
    expect(a.layerOverheadUs).toBeGreaterThan(0);
  });
});
