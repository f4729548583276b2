// Fits each chip's efficiencies on the open validation cases and writes data/efficiency.json.
//
//   npm run fit -- [path/to/training.json] [--out file] [--cross-validate]
//   (defaults: ../shared/validation/training.json, data/efficiency.json)
//
// Method: for each chip with cases, coordinate descent (golden-section search per parameter, five
// sweeps) on the mean absolute log error of predicted step time over that chip's cases (errors past
// 15% weighted three times), plus a weak
// pull toward the prior so that parameters the cases cannot see stay put. One set per chip: no case
// has a parameter of its own. Parameters measured on a device (data/measurements/) are the priors of
// the chips they were measured on. Leave-one-group-out cross-validation then refits without each
// source group and reports the error on the held-out group, an estimate of the error on runs that
// are not in the repo.
import { readFileSync, writeFileSync } from "node:fs";
import { Catalog } from "../src/engine/catalog/catalog.js";
import { builtinCatalog } from "../src/engine/catalog/builtin.js";
import type { TrainingCase } from "../src/engine/catalog/scenario.js";
import { H100_MEASURED, PRIOR_EFFICIENCY, type Efficiency, type EfficiencyEntry } from "../src/engine/system/efficiency.js";
import { widthClass } from "../src/engine/system/hardware.js";
import { percentile, predictCase } from "../src/engine/validate/validation.js";
import { goldenSectionMinimum } from "./goldenSection.js";

interface Param {
  name: string;
  get: (e: Efficiency) => number;
  set: (e: Efficiency, v: number) => Efficiency;
  lo: number;
  hi: number;
  /** Spread of the prior: deviations of this size cost as much as a 10% error on every case. */
  scale: number;
}

const param = (name: keyof Efficiency, lo: number, hi: number, scale: number): Param => ({
  name,
  get: (e) => e[name] as number,
  set: (e, v) => ({ ...e, [name]: v }),
  lo,
  hi,
  scale,
});
const gemmParam = (w: "b16" | "b8" | "b4"): Param => ({
  name: `gemm.${w}`,
  get: (e) => e.gemm[w],
  set: (e, v) => ({ ...e, gemm: { ...e.gemm, [w]: v } }),
  lo: 0.15,
  hi: 0.95,
  scale: 0.5,
});

const MEASURED_PRIORS: Record<string, Partial<Efficiency>> = { "h100-sxm": H100_MEASURED, "h100-96gb": H100_MEASURED };

function chipOf(c: TrainingCase, catalog: Catalog): string {
  return catalog.system(c.system.id).chip;
}

function fitChip(chip: string, cases: TrainingCase[], base: Catalog): Efficiency {
  const prior: Efficiency = { ...PRIOR_EFFICIENCY, ...(MEASURED_PRIORS[chip] ?? {}) };
  const widths = new Set(cases.map((c) => widthClass(c.run.precision)));
  const params: Param[] = [...widths].map(gemmParam);
  params.push(param("attention", 0.15, 0.9, 0.5), param("scaleOut", 0.2, 0.95, 0.5), param("layerOverheadUs", 0, 3000, 2000));
  if (cases.some((c) => c.parallelism.tp > 1)) params.push(param("tpOverlap", 0, 0.9, 2));
  if (cases.some((c) => c.parallelism.ep > 1)) params.push(param("epOverlap", 0, 0.9, 2));
  if (cases.some((c) => c.model.moe !== null)) params.push(param("groupedGemm", 0.3, 1, 1));

  const objective = (e: Efficiency): number => {
    const catalog = base.withEntries({ efficiencies: [{ chip, efficiency: e, provenance: "fitting" }] });
    let sum = 0;
    for (const c of cases) {
      const r = predictCase(c, catalog);
      // Absolute log error, with errors past 15% weighted three times more: the tail matters as much
      // as the median to users (and the project's bar is on the 90th percentile too).
      const e = r.errorPct === null ? 10 : Math.abs(Math.log(r.predicted!.stepSeconds / r.measured.stepSeconds));
      sum += e + 2 * Math.max(0, e - Math.log(1.15));
    }
    let penalty = 0;
    for (const p of params) penalty += Math.pow((p.get(e) - p.get(prior)) / p.scale, 2) * 0.1;
    return sum / cases.length + penalty;
  };

  let best = prior;
  let bestValue = objective(best);
  for (let sweep = 0; sweep < 5; sweep++) {
    for (const p of params) {
      const v = goldenSectionMinimum((x) => objective(p.set(best, x)), p.lo, p.hi, 18);
      const value = objective(p.set(best, v));
      if (value < bestValue) {
        bestValue = value;
        best = p.set(best, v);
      }
    }
  }
  const round = (x: number) => Math.round(x * 1000) / 1000;
  return {
    ...best,
    gemm: { b16: round(best.gemm.b16), b8: round(best.gemm.b8), b4: round(best.gemm.b4) },
    attention: round(best.attention),
    scaleOut: round(best.scaleOut),
    layerOverheadUs: Math.round(best.layerOverheadUs),
    tpOverlap: round(best.tpOverlap),
    epOverlap: round(best.epOverlap),
    groupedGemm: round(best.groupedGemm),
  };
}

function fitAll(cases: TrainingCase[], base: Catalog): EfficiencyEntry[] {
  const byChip = new Map<string, TrainingCase[]>();
  for (const c of cases) byChip.set(chipOf(c, base), [...(byChip.get(chipOf(c, base)) ?? []), c]);
  return [...byChip.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([chip, cs]) => ({
      chip,
      efficiency: fitChip(chip, cs, base),
      provenance: `fitted on ${cs.length} open validation cases`,
      note: `groups: ${[...new Set(cs.map((c) => c.group))].join(", ")}`,
    }));
}

const args = process.argv.slice(2);
const outIndex = args.indexOf("--out");
const outPath = outIndex >= 0 ? args[outIndex + 1]! : new URL("../../data/efficiency.json", import.meta.url).pathname;
const path =
  args.find((a, i) => !a.startsWith("--") && args[i - 1] !== "--out") ??
  new URL("../../../shared/validation/training.json", import.meta.url).pathname;
const cases = (JSON.parse(readFileSync(path, "utf8")) as TrainingCase[]).filter((c) => c.kind === "training");
const base = builtinCatalog().withEntries({});
const stripped = new Catalog({ ...base.entries(), efficiencies: [] });

const entries = fitAll(cases, stripped);
writeFileSync(outPath, JSON.stringify(entries, null, 2) + "\n");
console.log(`wrote ${outPath}`);
for (const e of entries) console.log(`${e.chip.padEnd(12)} ${JSON.stringify(e.efficiency)}`);

if (process.argv.includes("--cross-validate")) {
  // Leave one source group out: fit on the rest, predict the held-out group.
  const errors: number[] = [];
  for (const group of [...new Set(cases.map((c) => c.group))]) {
    const train = cases.filter((c) => c.group !== group);
    const heldOut = cases.filter((c) => c.group === group);
    const fitted = stripped.withEntries({ efficiencies: fitAll(train, stripped) });
    const groupErrors = heldOut
      .map((c) => predictCase(c, fitted).errorPct)
      .filter((e): e is number => e !== null)
      .map(Math.abs);
    errors.push(...groupErrors);
    console.log(`held out ${group.padEnd(36)} median |error| ${percentile(groupErrors, 0.5).toFixed(1)}%`);
  }
  console.log(`leave-one-group-out: median ${percentile(errors, 0.5).toFixed(1)}%, p90 ${percentile(errors, 0.9).toFixed(1)}%`);
}
