// Collective costs of src/engine/network/collectives.ts on small hand-made systems.
import { PLAIN_SOFTWARE } from "../src/engine/calibrate/framework.js";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { builtinCatalog } from "../src/engine/catalog/builtin.js";
import type { ChipSpec, SystemSpec } from "../src/engine/catalog/schema.js";
import {
  allGatherSeconds,
  allReduceSeconds,
  allToAllSeconds,
  expertDispatchSeconds,
  latencySteps,
  levelFactors,
  reduceScatterSeconds,
  ringAllGatherBytesPerRank,
  ringAllReduceBytesPerRank,
  sendSeconds,
  type GroupPlacement,
} from "../src/engine/network/collectives.js";
import { PRIOR_EFFICIENCY } from "../src/engine/system/efficiency.js";
import { buildHardware, type Hardware } from "../src/engine/system/hardware.js";

const src = (value: number) => ({ value, source: "test" });

const chip: ChipSpec = {
  id: "test-chip",
  name: "Test chip",
  vendor: "test",
  status: "shipping",
  peakTflops: { bf16: src(1000) },
  hbmCapacityGB: src(80),
  hbmBandwidthTBps: src(3),
  scaleUpGBps: src(200),
  tdpW: src(700),
  runtimeReservedGB: src(2),
};

/** 8 chips per node on a switch at `upGBps` one way, `outGbps` per chip between nodes. */
function system(upGBps = 100, outGbps = 400, upLatencyUs = 2, outLatencyUs = 5, nvls = false): SystemSpec {
  return {
    id: "test-system",
    name: "Test system",
    vendor: "test",
    chip: "test-chip",
    chipsPerSystem: 8,
    scaleUp: [
      {
        name: "switch",
        chips: 8,
        topology: "switch",
        bandwidthGBps: src(upGBps),
        latencyUs: src(upLatencyUs),
        ...(nvls ? { inNetworkReduction: { value: "nvls" as const, source: "test" } } : {}),
      },
    ],
    scaleOut: { name: "nic", gbpsPerChip: src(outGbps), latencyUs: src(outLatencyUs) },
  };
}

/** Line-rate hardware: link efficiencies of 1. */
function hardware(upGBps = 100, outGbps = 400, upLatencyUs = 2, outLatencyUs = 5, nvls = false): Hardware {
  return buildHardware(
    chip,
    system(upGBps, outGbps, upLatencyUs, outLatencyUs, nvls),
    { ...PRIOR_EFFICIENCY, scaleUp: 1, scaleOut: 1 },
    "test",
    PLAIN_SOFTWARE,
  );
}

describe("ring traffic", () => {
  it("all-reduce sends 2(n-1)/n of the buffer per rank", () => {
    expect(ringAllReduceBytesPerRank(800, 8)).toBe((2 * 7 * 800) / 8); // 1400
    expect(ringAllReduceBytesPerRank(800, 1)).toBe(0);
  });
  it("all-gather sends (n-1)/n", () => {
    expect(ringAllGatherBytesPerRank(800, 4)).toBe(600);
  });
});

describe("buildHardware", () => {
  it("converts GB/s and Gb/s to bytes/s at line rate when efficiencies are 1", () => {
    const hw = hardware(100, 400);
    expect(hw.levels).toHaveLength(2);
    expect(hw.levels[0]!.bytesPerSecond).toBe(100e9);
    expect(hw.levels[1]!.bytesPerSecond).toBe(400e9 / 8); // 50 GB/s
    expect(hw.levels[1]!.domainChips).toBe(Infinity);
    expect(hw.levels[0]!.latencySeconds).toBeCloseTo(2e-6, 15);
  });
});

describe("within one node", () => {
  const hw = hardware(100, 400, 2, 5);
  const S = 1e9;
  it.each([2, 4, 8])("all-reduce over %i ranks is 2(n-1)/n * S / bw plus 2*ceil(log2 n) latency steps", (n) => {
    const bw = 100e9;
    const expected = (2 * (n - 1) * S) / n / bw + 2 * Math.ceil(Math.log2(n)) * 2e-6;
    expect(allReduceSeconds(hw, { size: n, stride: 1 }, S)).toBeCloseTo(expected, 12);
  });
  it("all-reduce is twice a reduce-scatter, all-gather equals reduce-scatter", () => {
    for (const g of [
      { size: 4, stride: 1 },
      { size: 16, stride: 1 },
      { size: 8, stride: 4 },
    ]) {
      expect(allReduceSeconds(hw, g, S)).toBe(2 * reduceScatterSeconds(hw, g, S));
      expect(allGatherSeconds(hw, g, S)).toBe(reduceScatterSeconds(hw, g, S));
    }
  });
  it("a group of one costs nothing", () => {
    expect(allReduceSeconds(hw, { size: 1, stride: 1 }, S)).toBe(0);
    expect(allToAllSeconds(hw, { size: 1, stride: 1 }, S)).toBe(0);
  });
});

describe("hierarchical groups", () => {
  const hw = hardware(100, 400, 2, 5);
  const S = 1e9;
  it("8 ranks spread over 2 nodes (stride 2) are slower than 8 ranks in one node", () => {
    expect(allReduceSeconds(hw, { size: 8, stride: 2 }, S)).toBeGreaterThan(allReduceSeconds(hw, { size: 8, stride: 1 }, S));
  });
  it("8 ranks at stride 2: a 4-rank ring in the node, then a 2-rank ring across nodes on a quarter of the data", () => {
    expect(levelFactors(hw.levels, { size: 8, stride: 2 })).toEqual([4, 2]);
    const inNode = (((4 - 1) / 4) * S) / 100e9 + Math.ceil(Math.log2(4)) * 2e-6;
    const across = (((2 - 1) / 2) * (S / 4)) / 50e9 + 1 * 5e-6;
    expect(reduceScatterSeconds(hw, { size: 8, stride: 2 }, S)).toBeCloseTo(inNode + across, 12);
  });
  it("levelFactors multiply to the group size", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 256 }), fc.integer({ min: 1, max: 64 }), (size, stride) => {
        const product = levelFactors(hw.levels, { size, stride }).reduce((a, b) => a * b, 1);
        expect(product).toBeCloseTo(size, 9);
      }),
    );
  });
  it("a stride of a whole node puts every rank in its own node", () => {
    expect(levelFactors(hw.levels, { size: 4, stride: 8 })).toEqual([1, 4]);
  });
});

describe("expert dispatch and point-to-point", () => {
  const hw = hardware();
  it("expert dispatch is free with ep 1", () => {
    expect(expertDispatchSeconds(hw, { size: 1, stride: 1 }, 4096, 8, 7168)).toBe(0);
  });
  it("send within a node uses the scale-up link, across nodes the scale-out link", () => {
    expect(sendSeconds(hw, 1, 1e9)).toBeCloseTo(1e9 / 100e9 + 2e-6, 12);
    expect(sendSeconds(hw, 8, 1e9)).toBeCloseTo(1e9 / 50e9 + 5e-6, 12);
  });
});

// Properties over every collective.
type Collective = (hw: Hardware, group: GroupPlacement, bytes: number) => number;
const collectives: [string, Collective][] = [
  ["allReduce", allReduceSeconds],
  ["reduceScatter", reduceScatterSeconds],
  ["allGather", allGatherSeconds],
  ["allToAll", allToAllSeconds],
  ["expertDispatch", (hw, g, bytes) => expertDispatchSeconds(hw, g, bytes / 1024, 4, 1024)],
  ["send", (hw, g, bytes) => sendSeconds(hw, g.stride * g.size, bytes)],
];
const group = fc.record({ size: fc.integer({ min: 1, max: 128 }), stride: fc.integer({ min: 1, max: 16 }) });
const bandwidth = fc.double({ min: 1, max: 2000, noNaN: true });
const bytes = fc.double({ min: 0, max: 1e11, noNaN: true });

describe.each(collectives)("%s properties", (_name, op) => {
  it("more bandwidth is never slower", () => {
    fc.assert(
      fc.property(group, bandwidth, bandwidth, fc.double({ min: 1, max: 10, noNaN: true }), bytes, (g, up, out, k, b) => {
        const slow = op(hardware(up, out), g, b);
        expect(op(hardware(up * k, out), g, b)).toBeLessThanOrEqual(slow * (1 + 1e-12));
        expect(op(hardware(up, out * k), g, b)).toBeLessThanOrEqual(slow * (1 + 1e-12));
      }),
    );
  });
  it("time is never negative and grows with bytes", () => {
    fc.assert(
      fc.property(group, bandwidth, bandwidth, bytes, bytes, (g, up, out, b1, b2) => {
        const hw = hardware(up, out);
        const [small, large] = b1 <= b2 ? [b1, b2] : [b2, b1];
        const tSmall = op(hw, g, small);
        expect(tSmall).toBeGreaterThanOrEqual(0);
        expect(op(hw, g, large)).toBeGreaterThanOrEqual(tSmall * (1 - 1e-12));
      }),
    );
  });
});

describe("latency steps", () => {
  it("equal ceil(log2(factor)) for whole and fractional factors", () => {
    for (let n = 0; n <= 5000; n++) {
      for (const f of [n, n + 0.25, n + 0.5, n + 0.999]) {
        const expected = f <= 1 ? 0 : Math.ceil(Math.log2(f));
        expect(latencySteps(f), `factor ${f}`).toBe(expected);
      }
    }
    for (const f of [2 ** 20, 2 ** 20 + 1, 1_000_000, 2 ** 31, 2 ** 31 + 1, 2 ** 40]) expect(latencySteps(f)).toBe(Math.ceil(Math.log2(f)));
  });
});

describe("in-network all-reduce (NVLink SHARP), where the switch reduces", () => {
  const nvls = hardware(100, 400, 2, 5, true);
  const ring = hardware(100, 400, 2, 5, false);
  const S = 1e9;
  it.each([2, 4, 8])("over %i ranks of one node: S / bw (sends and receives overlap) plus 2 switch latencies", (n) => {
    expect(allReduceSeconds(nvls, { size: n, stride: 1 }, S)).toBeCloseTo(S / 100e9 + 2 * 2e-6, 12);
  });
  it("at 8 ranks it takes 8/14 of the ring's transfer time and a third of its latency steps", () => {
    const ringSeconds = allReduceSeconds(ring, { size: 8, stride: 1 }, S);
    expect(ringSeconds).toBeCloseTo((2 * 7 * S) / 8 / 100e9 + 2 * 3 * 2e-6, 12);
    expect(allReduceSeconds(nvls, { size: 8, stride: 1 }, S)).toBeLessThan(ringSeconds);
  });
  it("across 2 nodes (NVLS-tree): in-network in each node, then a 2-rank ring across nodes on the 1/8 each rank holds", () => {
    const inNode = S / 100e9 + 2 * 2e-6;
    const across = 2 * ((((2 - 1) / 2) * (S / 8)) / 50e9 + 1 * 5e-6);
    expect(allReduceSeconds(nvls, { size: 16, stride: 1 }, S)).toBeCloseTo(inNode + across, 12);
  });
  it("ranks one per node never meet in a switch that reduces: the ring across nodes, unchanged", () => {
    expect(allReduceSeconds(nvls, { size: 4, stride: 8 }, S)).toBe(allReduceSeconds(ring, { size: 4, stride: 8 }, S));
  });
  it("reduce-scatter and all-gather do not use it (an all-reduce offload only)", () => {
    expect(reduceScatterSeconds(nvls, { size: 8, stride: 1 }, S)).toBe(reduceScatterSeconds(ring, { size: 8, stride: 1 }, S));
    expect(allGatherSeconds(nvls, { size: 16, stride: 1 }, S)).toBe(allGatherSeconds(ring, { size: 16, stride: 1 }, S));
  });
  it("is never slower than the ring, for any group and size (property)", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(1, 2, 4, 8, 16, 32, 64),
        fc.constantFrom(1, 2, 4, 8, 16),
        fc.double({ min: 1, max: 1e10, noNaN: true }),
        (size, stride, bytes) => {
          expect(allReduceSeconds(nvls, { size, stride }, bytes)).toBeLessThanOrEqual(
            allReduceSeconds(ring, { size, stride }, bytes) * (1 + 1e-12),
          );
        },
      ),
    );
  });
  it("the catalog's NVSwitch systems from Hopper on have it, each with its source; the A100's does not", async () => {
    const { builtinCatalog } = await import("../src/engine/catalog/builtin.js");
    const catalog = builtinCatalog();
    for (const id of ["dgx-h100", "dgx-h200", "dgx-b200", "gb200-nvl72", "p5.48xlarge"]) {
      const level = catalog.system(id).scaleUp[0]!;
      expect(level.inNetworkReduction?.value, id).toBe("nvls");
      expect(level.inNetworkReduction!.source, id).toMatch(/nccl/);
    }
    expect(catalog.system("dgx-a100-80gb").scaleUp[0]!.inNetworkReduction).toBeUndefined();
    expect(catalog.system("trn2-ultraserver").scaleUp[0]!.inNetworkReduction).toBeUndefined();
  });
});

describe("in-network all-reduce at its measured rate (inNetworkReduction.algorithmBandwidthGBps)", () => {
  const S = 4e9;
  /** The hand-made node with its switch reducing at `algGBps` of algorithm bandwidth on 100 GB/s links. */
  const measured = (algGBps: number) => {
    const sys = system(100, 400, 2, 5, true);
    sys.scaleUp[0]!.inNetworkReduction = { value: "nvls", source: "test", algorithmBandwidthGBps: src(algGBps) };
    return buildHardware(chip, sys, { ...PRIOR_EFFICIENCY, scaleUp: 1, scaleOut: 1 }, "test", PLAIN_SOFTWARE);
  };
  const ring = hardware(100, 400, 2, 5, false);

  it("moves the buffer at the measured algorithm bandwidth, not the line rate", () => {
    expect(allReduceSeconds(measured(60), { size: 8, stride: 1 }, S)).toBeCloseTo(S / 60e9 + 2 * 2e-6, 12);
  });
  it("runs as a ring where the ring is faster (2 ranks: S / 100 GB/s against S / 60 GB/s), as NCCL's tuner picks", () => {
    // A ring over 2 ranks moves 2 x 1/2 of the buffer: S / bw; over 8 ranks 2 x 7/8: S / 57 GB/s, slower than 60.
    expect(allReduceSeconds(measured(60), { size: 2, stride: 1 }, S)).toBe(allReduceSeconds(ring, { size: 2, stride: 1 }, S));
    expect(allReduceSeconds(measured(60), { size: 8, stride: 1 }, S)).toBeLessThan(allReduceSeconds(ring, { size: 8, stride: 1 }, S));
  });
  it("8 H100s reach NCCL's measured NVLS figures: 275 GB/s of algorithm bandwidth, 480 of bus bandwidth (NVIDIA/nccl#2140)", () => {
    const h100 = builtinCatalog().hardware("dgx-h100", {});
    const seconds = allReduceSeconds(h100, { size: 8, stride: 1 }, S);
    expect(S / seconds / 1e9).toBeCloseTo(275, -1);
    expect(((S / seconds) * (2 * 7)) / 8 / 1e9).toBeGreaterThan(470);
    expect(((S / seconds) * (2 * 7)) / 8 / 1e9).toBeLessThan(490);
  });
  it("every NVLS level in the catalog carries a measured rate, with its source, below its line rate", () => {
    const catalog = builtinCatalog();
    const levels = catalog.entries().systems.flatMap((s) => s.scaleUp.filter((l) => l.inNetworkReduction).map((l) => [s.id, l] as const));
    expect(levels.length).toBeGreaterThanOrEqual(10);
    for (const [id, l] of levels) {
      const figure = l.inNetworkReduction!.algorithmBandwidthGBps;
      expect(figure, id).toBeDefined();
      expect(figure!.source, id).toMatch(/nccl/);
      expect(figure!.value, id).toBeLessThan(l.bandwidthGBps.value);
    }
  });
});

describe("a measured bus bandwidth in place of line rate x the fitted efficiency (measuredBusBandwidthGBps)", () => {
  const catalog = builtinCatalog();
  // Vidur's profile of 8 A100s in a DGX A100 (microsoft/vidur, data/profiling/network/a100_dgx/all_reduce.csv):
  // an all-reduce of 67,108,864 bytes in 0.675 ms.
  const bytes = 67_108_864;
  const measuredSeconds = 0.675e-3;

  it("the A100's figure follows from that measurement, less the model's own ring latency (2 x 3 steps x 3 us)", () => {
    const figure = catalog.system("dgx-a100-80gb").scaleUp[0]!.measuredBusBandwidthGBps!;
    const derived = (2 * (7 / 8) * bytes) / (measuredSeconds - 2 * 3 * 3e-6) / 1e9;
    expect(figure.value).toBeCloseTo(derived, 0);
    expect(figure.source).toMatch(/vidur.*a100_dgx\/all_reduce\.csv/);
    // Where nothing is measured, the line rate times the fitted efficiency stands.
    expect(catalog.system("dgx-h100").scaleUp[0]!.measuredBusBandwidthGBps).toBeUndefined();
  });

  it("replaces line rate x efficiency on that level only, and the model then gives the measured all-reduce", () => {
    const a100 = catalog.hardware("dgx-a100-80gb", {});
    const h100 = catalog.hardware("dgx-h100", {});
    expect(a100.levels[0]!.bytesPerSecond).toBe(179e9);
    expect(h100.levels[0]!.bytesPerSecond).toBeCloseTo(450e9 * h100.efficiency.scaleUp, -3);
    const seconds = allReduceSeconds(a100, { size: 8, stride: 1 }, bytes);
    expect(Math.abs(seconds / measuredSeconds - 1)).toBeLessThan(0.01);
  });
});
