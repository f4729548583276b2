// Which ZeRO stages each training framework offers (data/frameworks.json): `train` refuses a stage
// its framework cannot run, the planner searches only the offered ones and says which it left out, and
// every open training case used a stage its own software offers.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { predictTraining } from "../src/engine/analytic/trainingStep.js";
import { builtinCatalog } from "../src/engine/catalog/builtin.js";
import type { ParallelismSpec } from "../src/engine/catalog/schema.js";
import { UltrasimError } from "../src/engine/errors.js";
import { plan } from "../src/engine/plan/search.js";
import { PLAIN_LAYOUT } from "../src/node/trainingLayout.js";
import { STACK, ultrasim } from "./cliHelpers.js";

const catalog = builtinCatalog();
const shared = (name: string) => fileURLToPath(new URL(`../../shared/validation/${name}`, import.meta.url));

const layout = (zero: 0 | 1 | 2 | 3): ParallelismSpec => ({ ...PLAIN_LAYOUT, tp: 8, dp: 8, vpp: 1, zero, recompute: "selective" });
const run = { seqLen: 4096, globalBatch: 64, microBatch: 1, precision: "bf16" as const };

describe("ZeRO stages per framework", () => {
  it("every framework names its stages, with a source", () => {
    for (const f of catalog.listFrameworks()) {
      expect(f.zeroStages.value.length, f.id).toBeGreaterThan(0);
      expect(f.zeroStages.source, f.id).toMatch(/^https:\/\//);
      for (const z of f.zeroStages.value) expect([0, 1, 2, 3], f.id).toContain(z);
    }
    // NxD offers ZeRO-1 only beside plain data parallelism; Megatron-FSDP all four strategies.
    expect(catalog.framework("trainium1", "neuronx-distributed").zeroStages.value).toEqual([0, 1]);
    expect(catalog.framework("h100-sxm", "megatron-core").zeroStages.value).toEqual([0, 1, 2, 3]);
  });

  it("every open training case ran a stage its group's software offers", () => {
    const groups = JSON.parse(readFileSync(shared("groups.json"), "utf8")) as Record<string, { software: string }>;
    const cases = JSON.parse(readFileSync(shared("training.json"), "utf8")) as {
      id: string;
      group: string;
      parallelism: { zero: number };
    }[];
    expect(cases.length).toBeGreaterThan(50);
    for (const c of cases) {
      const software = catalog.listFrameworks().find((f) => f.id === groups[c.group]!.software)!;
      expect(software.zeroStages.value as number[], c.id).toContain(c.parallelism.zero);
    }
  });

  it("`train` refuses ZeRO-3 on NeuronX Distributed, naming the field, and runs it on TorchTitan Neuron", () => {
    const model = catalog.model("llama3-8b");
    const nxd = catalog.hardware("trn2-ultraserver", {}, undefined, "neuronx-distributed");
    const predict = (zero: 0 | 1 | 2 | 3, hw = nxd) => predictTraining({ model, hw, chips: 64, run, parallelism: layout(zero) });
    expect(predict(1).stepSeconds).toBeGreaterThan(0);
    let error: unknown;
    try {
      predict(3);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UltrasimError);
    expect((error as UltrasimError).where.field).toBe("parallelism.zero");
    expect((error as UltrasimError).message).toContain("neuronx-distributed");
    // The same layout on the same chips under a framework that has FSDP is a prediction.
    const titan = catalog.hardware("trn2-ultraserver", {}, undefined, "torchtitan-neuron");
    expect(predict(3, titan).stepSeconds).toBeGreaterThan(0);
  });

  it("the planner searches only the offered stages and says which it left out", () => {
    const request = {
      model: catalog.model("llama3-8b"),
      chips: [64],
      globalBatch: 64,
      seqLen: 4096,
      precision: "bf16" as const,
      topK: 50,
    };
    const nxd = plan({ ...request, hw: catalog.hardware("trn2-ultraserver", {}, undefined, "neuronx-distributed") });
    expect(nxd.plans.length).toBeGreaterThan(0);
    for (const p of nxd.plans) expect([0, 1]).toContain(p.parallelism.zero);
    expect(nxd.notes.join("\n")).toContain("ZeRO-2 and ZeRO-3 not searched: neuronx-distributed offers ZeRO-0 and ZeRO-1");
    // Asked for ZeRO-3 alone: nothing to search, and the note says why.
    const only3 = plan({
      ...request,
      hw: catalog.hardware("trn2-ultraserver", {}, undefined, "neuronx-distributed"),
      space: { zero: [3] },
    });
    expect(only3.plans).toHaveLength(0);
    expect(only3.notes.join("\n")).toContain("ZeRO-3 not searched");
    // Megatron-Core offers all four: nothing left out, and ZeRO-3 can be planned.
    const mc = plan({ ...request, hw: catalog.hardware("dgx-h100", {}, undefined, "megatron-core"), space: { zero: [3] } });
    expect(mc.plans.length).toBeGreaterThan(0);
    expect(mc.notes.join("\n")).not.toContain("not searched");
  });

  it("`plan` and `scale` run the scenario's framework, from the file or --framework", () => {
    const dir = mkdtempSync(join(tmpdir(), "ultrasim-framework-"));
    const file = (framework: string) => {
      const path = join(dir, `${framework}.yaml`);
      writeFileSync(
        path,
        [
          "schemaVersion: 1",
          "model: llama3-8b",
          "system: {id: trn2-ultraserver, chips: 64}",
          "run: {seqLen: 4096, globalBatch: 64, microBatch: 1, precision: bf16}",
          "parallelism: {tp: 8, pp: 1, dp: 8, cp: 1, ep: 1, etp: null, vpp: null, sequenceParallel: true, zero: 1, recompute: null}",
          `framework: ${framework}`,
          "",
        ].join("\n"),
      );
      return path;
    };
    const notes = (...args: string[]) => {
      const r = ultrasim("plan", ...args, "--json");
      expect(r.code, r.stderr).toBe(0);
      return (JSON.parse(r.stdout) as { notes: string[] }).notes.join("\n");
    };
    // TorchTitan Neuron has no ZeRO-1 (FSDP2 is ZeRO-2/3), AXLearn neither ZeRO-1 nor 2: the planner says so, not NxD's note.
    expect(notes(file("torchtitan-neuron"))).toContain("ZeRO-1 not searched: torchtitan-neuron offers ZeRO-0, ZeRO-2 and ZeRO-3");
    expect(notes(file("torchtitan-neuron"), "--framework", "axlearn")).toContain("ZeRO-1 and ZeRO-2 not searched: axlearn");
    // An unknown framework is one line naming where it came from, exit 2, for both commands.
    for (const command of ["plan", "scale"]) {
      const fromFlag = ultrasim(command, file("torchtitan"), "--chips", "64", "--framework", "nope");
      expect(fromFlag.code).toBe(2);
      expect(fromFlag.stderr).toMatch(/^ultrasim: --framework: unknown framework 'nope'/);
      const fromFile = ultrasim(command, file("nope"), "--chips", "64");
      expect(fromFile.code).toBe(2);
      expect(fromFile.stderr).toMatch(/nope\.yaml:6: framework: unknown framework 'nope'/);
      expect(fromFile.stderr).not.toMatch(STACK);
    }
  });

  it("the CLI: --zero 1 on the Trainium3 example exits 2 with one line naming the flag and the framework", () => {
    // Trainium3's default framework is TorchTitan Neuron, whose FSDP is ZeRO-2 or 3.
    const r = ultrasim("train", "examples/llama3.1-405b-trn3.yaml", "--zero", "1");
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--zero.*ZeRO-1 is not offered by torchtitan-neuron, which offers ZeRO-0, ZeRO-2 and ZeRO-3/);
    expect(r.stderr).not.toMatch(STACK);
    // Under NxD (named) it is ZeRO-3 that it cannot run.
    const nxd = ultrasim("train", "examples/llama3.1-405b-trn3.yaml", "--framework", "neuronx-distributed", "--zero", "3");
    expect(nxd.code).toBe(2);
    expect(nxd.stderr).toMatch(/--zero.*ZeRO-3 is not offered by neuronx-distributed, which offers ZeRO-0 and ZeRO-1/);
  });
});
