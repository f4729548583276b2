// `ultrasim hetero` end to end on the shipped Trainium4 + Rubin scenario: balancing layers by chip
// speed beats an even split, the mixed pipeline lies between its homogeneous versions, and power is
// the catalog's TDPs times the chips.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { builtinCatalog } from "../src/engine/catalog/builtin.js";

const CLI = fileURLToPath(new URL("../dist/src/cli/main.js", import.meta.url));
const ROOT = fileURLToPath(new URL("..", import.meta.url));

interface Option {
  name: string;
  acceleratorWatts: number;
  tokensPerSecondPerKilowatt: number;
  training: { stepSeconds: number; tokensPerSecond: number; chipsByType: Record<string, number>; bubbleFraction: number };
}

describe("ultrasim hetero", () => {
  const r = spawnSync(process.execPath, [CLI, "hetero", "--json"], { cwd: ROOT, encoding: "utf8", timeout: 60_000 });
  const out = JSON.parse(r.stdout) as {
    balanced: Option;
    evenSplit: Option;
    homogeneous: Option[];
    serving: { ttftP90Ratio: number | null };
  };

  it("balances layers by chip speed, which beats an even split", () => {
    expect(r.status).toBe(0);
    expect(out.balanced.training.stepSeconds).toBeLessThan(out.evenSplit.training.stepSeconds);
    expect(out.balanced.training.bubbleFraction).toBeLessThan(out.evenSplit.training.bubbleFraction);
  });

  it("lies between its all-slow and all-fast versions", () => {
    const rates = out.homogeneous.map((o) => o.training.tokensPerSecond);
    expect(out.balanced.training.tokensPerSecond).toBeGreaterThanOrEqual(Math.min(...rates));
    expect(out.balanced.training.tokensPerSecond).toBeLessThanOrEqual(Math.max(...rates));
  });

  it("counts power as chips times each chip's TDP, and throughput per kW from it", () => {
    const catalog = builtinCatalog();
    for (const o of [out.balanced, ...out.homogeneous]) {
      const watts = Object.entries(o.training.chipsByType).reduce((w, [chip, n]) => w + n * catalog.chip(chip).tdpW.value, 0);
      expect(o.acceleratorWatts).toBeCloseTo(watts, 6);
      expect(o.tokensPerSecondPerKilowatt).toBeCloseTo(o.training.tokensPerSecond / (watts / 1000), 6);
    }
  });

  it("compares the KV cache over NVLink Fusion with EFA: the shared domain is never slower", () => {
    expect(out.serving.ttftP90Ratio).not.toBeNull();
    expect(out.serving.ttftP90Ratio!).toBeLessThanOrEqual(1 + 1e-9);
  });
});
