// One workload moved onto other systems, as the web app's Compare runs it: the framework it names
// where that framework runs on the system's chip, else the system's default (as `ultrasim compare`
// runs every system), and a ZeRO stage the framework offers; every change said.
import { describe, expect, it } from "vitest";
import { builtinCatalog } from "../src/engine/catalog/builtin.js";
import type { TrainingScenario } from "../src/engine/catalog/scenario.js";
import { predictScenario, scenarioOnSystem } from "../src/engine/train.js";

const catalog = builtinCatalog();
const scenario = (framework: string | undefined, zero: 0 | 1 | 2 | 3): TrainingScenario => ({
  schemaVersion: 1,
  model: "llama3-8b",
  system: { id: "dgx-h100", chips: 64 },
  run: { seqLen: 4096, globalBatch: 64, microBatch: 1, precision: "bf16" },
  parallelism: { tp: 8, pp: 1, dp: 8, cp: 1, ep: 1, etp: null, vpp: 1, sequenceParallel: true, zero, recompute: "selective" },
  ...(framework === undefined ? {} : { framework }),
});

describe("a scenario moved onto another system", () => {
  it("keeps a framework that runs there, and changes nothing else but the system", () => {
    const base = scenario("megatron-core", 1);
    const moved = scenarioOnSystem(base, "dgx-b200", catalog);
    expect(moved.changes).toEqual([]);
    expect(moved.scenario).toEqual({ ...base, system: { ...base.system, id: "dgx-b200" } });
    expect(predictScenario(moved.scenario, catalog).framework).toBe("megatron-core");
  });

  it("gives a framework of another runtime way to the system's default, and says so", () => {
    const moved = scenarioOnSystem(scenario("megatron-core", 2), "trn2-ultraserver", catalog);
    // Trainium2's default is TorchTitan Neuron (data/frameworks.json defaults.byChip); it offers ZeRO-2.
    expect(moved.scenario.framework).toBeUndefined();
    expect(moved.scenario.parallelism.zero).toBe(2);
    expect(moved.changes).toEqual([
      "framework megatron-core does not run on trainium2: trn2-ultraserver runs its default, torchtitan-neuron",
    ]);
    expect(predictScenario(moved.scenario, catalog).framework).toBe("torchtitan-neuron");
  });

  it("gives a ZeRO stage the framework lacks way to its default stage, and says so", () => {
    // Megatron-LM of 2022 offers plain data parallelism and the distributed optimizer: ZeRO-0 and 1.
    const moved = scenarioOnSystem(scenario("megatron-lm", 2), "dgx-a100-80gb", catalog);
    expect(moved.scenario.framework).toBe("megatron-lm");
    expect(moved.scenario.parallelism.zero).toBe(1);
    expect(moved.changes).toEqual(["ZeRO-2 is not offered by megatron-lm: ZeRO-1, its default, on dgx-a100-80gb"]);
    // TorchTitan Neuron offers ZeRO-0, 2 and 3 (FSDP): its least sharding, 2, replaces ZeRO-1.
    const trn = scenarioOnSystem(scenario("megatron-lm", 1), "trn3-ultraserver", catalog);
    expect(trn.scenario.parallelism.zero).toBe(2);
    expect(trn.changes).toHaveLength(2);
  });

  it("keeps an unknown framework an error, naming the known ones", () => {
    expect(() => scenarioOnSystem(scenario("megatron-cor", 1), "dgx-h100", catalog)).toThrow(/unknown framework 'megatron-cor'/);
  });

  it("leaves a scenario that names no framework on the system's default", () => {
    const moved = scenarioOnSystem(scenario(undefined, 1), "gb200-nvl72", catalog);
    expect(moved.changes).toEqual([]);
    expect(moved.scenario.framework).toBeUndefined();
    expect(predictScenario(moved.scenario, catalog).framework).toBe(catalog.framework("gb200-gpu").id);
  });
});
