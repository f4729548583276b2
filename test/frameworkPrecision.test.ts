// The precisions each training framework trains in (data/frameworks.json trainingPrecisions) and the
// runtime it runs on: a run asked for a precision its framework has no recipe for runs at the nearest
// one both the chip and the framework have, and says so; a framework of another runtime is refused;
// each chip has its default framework (Trainium2 and 3: TorchTitan Neuron, since NxD Training's end of
// support).
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { predictTraining } from "../src/engine/analytic/trainingStep.js";
import { builtinCatalog } from "../src/engine/catalog/builtin.js";
import { DEFAULT_TRAINING_SCENARIO } from "../src/engine/catalog/scenario.js";
import type { ParallelismSpec, RunSpec } from "../src/engine/catalog/schema.js";
import { UltrasimError } from "../src/engine/errors.js";
import { plan } from "../src/engine/plan/search.js";
import { trainingPrecisionAssumption, trainingPrecisionRunsAt } from "../src/engine/system/hardware.js";
import { predictScenario } from "../src/engine/train.js";
import { STACK, ultrasim } from "./cliHelpers.js";

const catalog = builtinCatalog();
const shared = (name: string) => fileURLToPath(new URL(`../../shared/validation/${name}`, import.meta.url));
const layout: ParallelismSpec = {
  tp: 8,
  pp: 1,
  dp: 8,
  cp: 1,
  ep: 1,
  etp: null,
  vpp: 1,
  sequenceParallel: true,
  zero: 0,
  recompute: "selective",
};
const run = (precision: RunSpec["precision"]): RunSpec => ({ seqLen: 4096, globalBatch: 64, microBatch: 1, precision });

describe("training precisions per framework", () => {
  it("every framework names its runtime and the precisions it trains in, with a source", () => {
    for (const f of catalog.listFrameworks()) {
      expect(["cuda", "neuron"], f.id).toContain(f.runtime);
      expect(f.trainingPrecisions.value, f.id).toContain("bf16");
      expect(f.trainingPrecisions.source.length, f.id).toBeGreaterThan(10);
    }
  });

  it("every open training case ran a precision its group's software trains in", () => {
    const groups = JSON.parse(readFileSync(shared("groups.json"), "utf8")) as Record<string, { software: string }>;
    const cases = JSON.parse(readFileSync(shared("training.json"), "utf8")) as { id: string; group: string; run: RunSpec }[];
    for (const c of cases) {
      const software = catalog.listFrameworks().find((f) => f.id === groups[c.group]!.software)!;
      expect(software.trainingPrecisions.value, c.id).toContain(c.run.precision);
    }
  });

  it("each chip's default framework: TorchTitan Neuron on Trainium2 and 3, NxD on Trainium1, Megatron-Core on GPUs", () => {
    expect(catalog.framework("trainium3").id).toBe("torchtitan-neuron");
    expect(catalog.framework("trainium2").id).toBe("torchtitan-neuron");
    expect(catalog.framework("trainium1").id).toBe("neuronx-distributed");
    expect(catalog.framework("h100-sxm").id).toBe("megatron-core");
    // The built-in default runs MXFP8 as it asks, on software that has it.
    const result = predictScenario(DEFAULT_TRAINING_SCENARIO, catalog);
    expect(result.peakPrecision).toBe("mxfp8");
    expect(result.prediction.assumptions.join("\n")).not.toMatch(/predicted at/);
  });

  it("a framework without the recipe trains at the nearest precision both it and the chip have", () => {
    const nxd = catalog.hardware("trn3-ultraserver", {}, undefined, "neuronx-distributed");
    const titan = catalog.hardware("trn3-ultraserver", {}, undefined, "torchtitan-neuron");
    const trn2 = catalog.hardware("trn2-ultraserver", {}, undefined, "torchtitan-neuron");
    const h100 = catalog.hardware("dgx-h100");
    expect(trainingPrecisionRunsAt(nxd.chip, nxd.software, "mxfp8")).toBe("bf16");
    expect(trainingPrecisionRunsAt(titan.chip, titan.software, "mxfp8")).toBe("mxfp8");
    // Trainium2 has no MXFP8 and TorchTitan Neuron no FP8 recipe: bf16.
    expect(trainingPrecisionRunsAt(trn2.chip, trn2.software, "mxfp8")).toBe("bf16");
    // The chip's own fallback is unchanged where the framework has the recipe: MXFP8 on an H100 is fp8.
    expect(trainingPrecisionRunsAt(h100.chip, h100.software, "mxfp8")).toBe("fp8");
    expect(trainingPrecisionAssumption(h100.chip, h100.software, "mxfp8")).toMatch(/h100-sxm has no mxfp8 in hardware/);
    expect(trainingPrecisionAssumption(nxd.chip, nxd.software, "mxfp8")).toMatch(
      /^neuronx-distributed trains in bf16 .*: mxfp8 predicted at bf16, the nearest precision both have$/,
    );
    expect(trainingPrecisionAssumption(titan.chip, titan.software, "mxfp8")).toBeNull();

    // Under NxD an MXFP8 run is exactly the bf16 run; under TorchTitan Neuron it is faster.
    const model = catalog.model("llama3-8b");
    const step = (hw: typeof nxd, precision: RunSpec["precision"]) =>
      predictTraining({ model, hw, chips: 64, run: run(precision), parallelism: layout }).stepSeconds;
    expect(step(nxd, "mxfp8")).toBe(step(nxd, "bf16"));
    expect(step(titan, "mxfp8")).toBeLessThan(step(titan, "bf16"));
    // The planner ranks layouts at the precision that runs: its plans say bf16.
    const plans = plan({ model, hw: nxd, chips: [64], globalBatch: 64, seqLen: 4096, precision: "mxfp8", topK: 3 }).plans;
    expect(plans.length).toBeGreaterThan(0);
    for (const p of plans) expect(p.run.precision).toBe("bf16");
  });

  it("a framework of another runtime is refused, naming the field and the frameworks that fit", () => {
    let error: unknown;
    try {
      catalog.framework("trainium3", "megatron-core", "--framework");
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UltrasimError);
    expect((error as UltrasimError).where.field).toBe("--framework");
    expect((error as UltrasimError).message).toMatch(/frameworks for it are .*torchtitan-neuron/);
    expect(() => catalog.framework("h100-sxm", "torchtitan-neuron")).toThrow(/runs on AWS Neuron/);
    // TorchTitan Neuron names its chips: Trn2 and Trn3 (and Trainium4, assumed), not Trainium1.
    expect(() => catalog.framework("trainium1", "torchtitan-neuron")).toThrow(
      /^framework 'torchtitan-neuron' runs on trainium2, trainium3, trainium4 \(https:.*\), not trainium1: frameworks for it are neuronx-distributed, axlearn/,
    );
    expect(catalog.framework("trainium2", "torchtitan-neuron").id).toBe("torchtitan-neuron");

    const r = ultrasim("train", "examples/llama3.1-405b-trn3.yaml", "--framework", "megatron-core");
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(/^ultrasim: --framework: framework 'megatron-core' runs on CUDA/);
    expect(r.stderr).not.toMatch(STACK);
  });

  it("compare says which software each system trains under, and at which precision", () => {
    const r = ultrasim(
      "compare",
      "--model",
      "llama3-8b",
      "--systems",
      "trn3-ultraserver,dgx-h100",
      "--baseline",
      "trn3-ultraserver",
      "--chips",
      "144",
      "--global-batch",
      "64",
      "--seq-len",
      "4096",
      "--precision",
      "mxfp8",
      "--json",
    );
    expect(r.code, r.stderr).toBe(0);
    const rows = (JSON.parse(r.stdout) as { rows: { system: string; framework: string; precision: string }[] }).rows;
    // Trainium3 runs MXFP8 under TorchTitan Neuron; an H100 has no MXFP8 and runs FP8 under Megatron-Core.
    expect(rows.map((x) => [x.system, x.framework, x.precision])).toEqual([
      ["trn3-ultraserver", "torchtitan-neuron", "mxfp8"],
      ["dgx-h100", "megatron-core", "fp8"],
    ]);
  });

  it("the CLI says when a run trains at another precision than asked", () => {
    const r = ultrasim("train", "examples/llama3.1-405b-trn3.yaml", "--framework", "neuronx-distributed", "--zero", "1", "--json");
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { assumptions: string[]; peakPrecision: string };
    expect(out.peakPrecision).toBe("bf16");
    expect(out.assumptions.join("\n")).toMatch(/mxfp8 predicted at bf16/);
    // The table's run line says it too; the default, which runs as asked, does not.
    const text = ultrasim("train", "examples/llama3.1-405b-trn3.yaml", "--framework", "neuronx-distributed", "--zero", "1");
    expect(text.stdout).toMatch(/^run: .* · mxfp8 \(runs at bf16\)$/m);
    expect(ultrasim("train", "examples/llama3.1-405b-trn3.yaml").stdout).toMatch(/^run: .* · mxfp8$/m);
  });
});
