// The Trn3 UltraCluster at scale: the tiered EFA network in collectives, the scaling curve, and the
// planner's cost at a million chips against ten thousand (same run).
import { describe, expect, it } from "vitest";
import { builtinCatalog } from "../src/engine/catalog/builtin.js";
import { allReduceSeconds } from "../src/engine/network/collectives.js";
import { plan, type SearchSpace } from "../src/engine/plan/search.js";
import { predictTraining } from "../src/engine/analytic/trainingStep.js";
import { scaleCurve } from "../src/engine/scale/scaleCurve.js";
import { collectiveLevels } from "../src/engine/system/hardware.js";
import { GBIT_TO_BYTES } from "../src/engine/units.js";

const catalog = builtinCatalog();
const hw = catalog.hardware("trn3-ultraserver");
const model = catalog.model("llama3.1-405b");
// Narrowed search (the full one takes ~1 s a point): ZeRO-2 (Trainium3's TorchTitan Neuron has no
// ZeRO-1), selective recompute, tp 4/8, no cp.
const SPACE: SearchSpace = {
  zero: [2],
  recompute: ["selective"],
  tp: [4, 8],
  cp: [1],
  vpp: [1, 2],
  placement: ["tp-cp-dp-pp"],
  sequenceParallel: [true],
};

describe("tiered EFA network", () => {
  it("splits the scale-out level into the 10p10u fabric and an oversubscribed spine", () => {
    const levels = collectiveLevels(hw);
    expect(levels).toHaveLength(hw.levels.length + 1);
    const fabric = levels[levels.length - 2]!;
    const spine = levels[levels.length - 1]!;
    // 10 Pb/s / 200 Gb/s = 50,000 chips, rounded down to whole UltraServers: 347 x 144.
    expect(fabric.domainChips).toBe(347 * 144);
    expect(spine.domainChips).toBe(Infinity);
    const line = 200 * GBIT_TO_BYTES * hw.efficiency.scaleOut;
    expect(fabric.bytesPerSecond).toBeCloseTo(line, 6);
    expect(spine.bytesPerSecond).toBeCloseTo(line / 7, 6);
    expect(spine.latencySeconds).toBeCloseTo(18e-6, 12);
    // Serving still sees one scale-out level.
    expect(hw.levels[hw.levels.length - 1]!.domainChips).toBe(Infinity);
  });

  it("leaves systems without tiers unchanged", () => {
    const hgx = catalog.hardware("hgx-h100-96gb");
    expect(collectiveLevels(hgx)).toBe(hgx.levels);
  });

  it("NVIDIA clusters have their fat tree: leaf-spine to 1,024 GPUs, then a super-spine, both non-blocking", () => {
    const dgx = catalog.hardware("dgx-h100");
    const levels = collectiveLevels(dgx);
    expect(levels.map((l) => l.domainChips)).toEqual([8, 1024, Infinity]);
    // Non-blocking: every tier at the NIC's rate; only the latency grows with the tiers crossed.
    expect(levels[1]!.bytesPerSecond).toBe(levels[2]!.bytesPerSecond);
    expect(levels[2]!.latencySeconds).toBeGreaterThan(levels[1]!.latencySeconds);
    // Two ranks 1,024 GPUs apart cross the super-spine; 8 apart, only the leaf-spine.
    const near = allReduceSeconds(dgx, { size: 2, stride: 8 }, 1e3);
    const far = allReduceSeconds(dgx, { size: 2, stride: 1024 }, 1e3);
    expect(near).toBeCloseTo(2 * (500 / levels[1]!.bytesPerSecond + levels[1]!.latencySeconds), 12);
    expect(far).toBeCloseTo(2 * (500 / levels[2]!.bytesPerSecond + levels[2]!.latencySeconds), 12);
    expect(collectiveLevels(catalog.hardware("gb200-nvl72")).map((l) => l.domainChips)).toEqual([72, 1152, Infinity]);
  });

  it("an all-reduce across fabrics pays the spine: hand derivation", () => {
    // 2 ranks, one in each of two fabrics: only the spine level carries it.
    const stride = 347 * 144;
    const bytes = 1e9;
    const spine = collectiveLevels(hw).at(-1)!;
    const expected = 2 * (bytes / 2 / spine.bytesPerSecond + 1 * spine.latencySeconds);
    expect(allReduceSeconds(hw, { size: 2, stride }, bytes)).toBeCloseTo(expected, 9);
    // Inside one fabric the same exchange is 7x faster in bandwidth terms.
    const inFabric = allReduceSeconds(hw, { size: 2, stride: 144 }, bytes);
    expect(inFabric).toBeLessThan(expected / 5);
  });
});

describe("scaling curve", () => {
  it("re-plans at each point; a bigger cluster never takes longer per token than the same plan on fewer chips, except by communication", () => {
    const curve = scaleCurve({
      model,
      hw,
      chips: [1152, 2304, 73728],
      globalBatch: 128,
      batchScaling: "weak",
      seqLen: 8192,
      precision: "mxfp8",
      tokens: 15e12,
      space: SPACE,
    });
    expect(curve.points.every((p) => p.plan !== null)).toBe(true);
    for (let i = 1; i < curve.points.length; i++) {
      const small = curve.points[i - 1]!.plan!;
      const big = curve.points[i]!;
      // The small plan, replicated to the bigger cluster (dp and batch scaled).
      const factor = big.chips / small.chips;
      const same = predictTraining({
        model,
        hw,
        chips: big.chips,
        run: { ...small.run, globalBatch: small.run.globalBatch * factor },
        parallelism: { ...small.parallelism, dp: small.parallelism.dp * factor },
      });
      const secondsPerToken = (p: { stepSeconds: number; tokensPerStep: number }) => p.stepSeconds / p.tokensPerStep;
      expect(secondsPerToken(same)).toBeLessThanOrEqual(secondsPerToken(small.prediction) + 1e-15);
      // The step grows only by communication.
      const comm = (p: typeof same) => p.stepSeconds - p.breakdown.compute;
      expect(same.stepSeconds - small.prediction.stepSeconds).toBeLessThanOrEqual(comm(same) - comm(small.prediction) + 1e-9);
      // The planner's best is at least as fast as the replicated plan (its space holds it).
      expect(big.tokensPerSecond!).toBeGreaterThanOrEqual(same.tokensPerSecond * 0.999);
      expect(big.timeToTrainSeconds!).toBeCloseTo(15e12 / big.tokensPerSecond!, 0);
    }
  });

  it("planning 1,000,000 chips searches no more than a few times the configurations of 10,000", () => {
    // Weak scaling per UltraServer: 10,080 chips (70 UltraServers) and 999,936 (6,944), 2 sequences each.
    // The time this takes is a figure of bench/interactive.ts, not an assertion here.
    const evaluated = (chips: number) => {
      const r = plan({
        model,
        hw,
        chips: [chips],
        globalBatch: (chips / 144) * 2,
        seqLen: 8192,
        precision: "mxfp8",
        topK: 1,
        space: SPACE,
      });
      expect(r.plans.length).toBe(1);
      return r.evaluated;
    };
    expect(evaluated(999936)).toBeLessThanOrEqual(4 * evaluated(10080));
  });
});
