// End to end through the built CLI: `ultrasim reliability`, the energy/cost/reliability flags of
// `ultrasim train`, and exit code 2 for bad values.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";

const cli = fileURLToPath(new URL("../dist/src/cli/main.js", import.meta.url));
beforeAll(() => {
  if (!existsSync(cli)) throw new Error(`${cli} is missing: run \`npm run build\` first (npm test does)`);
});

function ultrasim(...args: string[]) {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: "utf8", timeout: 30_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const LLAMA3 = ["--model", "llama3.1-405b", "--system", "dgx-h100", "--chips", "16384", "--tp", "8", "--pp", "16", "--dp", "128"];
const LLAMA3_RUN = [...LLAMA3, "--seq-len", "8192", "--global-batch", "2048", "--precision", "bf16"];

describe("ultrasim reliability", () => {
  it("scans log-spaced scales: goodput falls, the best interval shrinks as sqrt(MTBF)", () => {
    const r = ultrasim("reliability", "--system", "dgx-h100", "--chips", "1000..1000000", "--points", "4", "--json");
    expect(r.code).toBe(0);
    const scan = JSON.parse(r.stdout);
    expect(scan.points.map((p: { chips: number }) => p.chips)).toEqual([1000, 10_000, 100_000, 1_000_000]);
    const goodput = scan.points.map((p: { monteCarlo: { goodput: { value: number } } }) => p.monteCarlo.goodput.value);
    for (let i = 1; i < goodput.length; i++) expect(goodput[i]).toBeLessThan(goodput[i - 1]);
    for (const p of scan.points) {
      const c = p.checkpoint.blockingSeconds.value;
      expect(p.youngDalyIntervalSeconds.value).toBeCloseTo(Math.sqrt(2 * c * p.mtbfSeconds.value), 6);
    }
  });

  it("prints a table with both goodputs", () => {
    const r = ultrasim("reliability", "--chips", "4096..65536", "--points", "3", "--checkpoint", "async", "--hot-spares", "144");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/goodput \(closed form\)/);
    expect(r.stdout).toMatch(/goodput \(Monte Carlo\)/);
    expect(r.stdout).toMatch(/rests on estimates: .*trainium3/);
  });

  it("bad values exit 2 with one line naming the flag", () => {
    for (const [args, pattern] of [
      [["--chips", "1000..10"], /--chips/],
      [["--chips", "abc"], /--chips/],
      [["--failures-per-chip-year", "0"], /--failures-per-chip-year: a failure rate must be a positive number/],
      [["--checkpoint", "sometimes"], /--checkpoint: must be one of sync, async, in-memory/],
      [["--system", "nope"], /unknown system 'nope'/],
    ] as const) {
      const r = ultrasim("reliability", ...args);
      expect(r.code, args.join(" ")).toBe(2);
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
      expect(r.stderr).toMatch(pattern);
    }
  });
});

describe("ultrasim train: energy, cost, reliability", () => {
  it("Llama 3 405B on 16,384 H100: Meta's interruption rate and >90% effective training time", () => {
    const r = ultrasim("train", ...LLAMA3_RUN, "--reliability", "--tokens", "15.6T", "--json");
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.reliability.interruptionsPerDay.value).toBeGreaterThan(7);
    expect(report.reliability.interruptionsPerDay.value).toBeLessThan(8.5);
    expect(report.reliability.monteCarlo.goodput.value).toBeGreaterThan(0.9);
    // Effective time to train = failure-free time / goodput.
    const free = 15.6e12 / report.tokensPerSecond;
    expect(report.reliability.monteCarlo.effectiveSeconds.value).toBeCloseTo(free / report.reliability.monteCarlo.goodput.value, 0);
  });

  it("energy per step = facility power × step time; $ from the override; carbon from the grid intensity", () => {
    const r = ultrasim("train", ...LLAMA3_RUN, "--price-per-chip-hour", "2", "--grid-gco2-per-kwh", "400", "--pue", "1.2", "--json");
    expect(r.code).toBe(0);
    const { energy, cost, stepSeconds, tokensPerStep, system } = JSON.parse(r.stdout);
    expect(energy.power.pue).toMatchObject({ value: 1.2, from: "input" });
    expect(energy.perStep.joules.value).toBeCloseTo(energy.power.facilityWatts.value * stepSeconds, 3);
    expect(energy.perStep.kwh.value).toBeCloseTo(energy.perStep.joules.value / 3.6e6, 9);
    expect(energy.perMillionTokens.joules.value).toBeCloseTo((energy.perStep.joules.value / tokensPerStep) * 1e6, 3);
    expect(energy.carbonPerMillionTokensKg.value).toBeCloseTo((energy.perMillionTokens.kwh.value * 400) / 1000, 9);
    expect(cost.perStepUsd.value).toBeCloseTo((2 * system.chips * stepSeconds) / 3600, 6);
  });

  it("says when there is no public price, and shows the table's price with its kind where there is", () => {
    const none = ultrasim("train");
    expect(none.code).toBe(0);
    expect(none.stdout).toMatch(/no public price for trn3-ultraserver/);
    const p5 = ultrasim("train", ...LLAMA3_RUN.map((a) => (a === "dgx-h100" ? "p5.48xlarge" : a)), "--price-kind", "capacity-block");
    expect(p5.code).toBe(0);
    expect(p5.stdout).toMatch(/\$4\.916/);
    expect(p5.stdout).toMatch(/capacity-block/);
  });

  it("bad values exit 2 with one line naming the flag", () => {
    for (const [args, pattern] of [
      [["--price-per-chip-hour", "-3"], /--price-per-chip-hour: a price must be .* got -3/],
      [["--pue", "0.8"], /--pue: PUE must be at least 1/],
      [["--reliability", "--failures-per-chip-year", "0"], /--failures-per-chip-year/],
      [["--grid-gco2-per-kwh", "lots"], /--grid-gco2-per-kwh: must be a number/],
      [["--tokens", "-5"], /--tokens/],
    ] as const) {
      const r = ultrasim("train", ...args);
      expect(r.code, args.join(" ")).toBe(2);
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
      expect(r.stderr).toMatch(pattern);
    }
  });
});
