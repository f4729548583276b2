// Reliability's figures agree with each other: the footnote's interruption count is the one the rates
// are derived from, and a checkpoint interval is never shorter than one training step.
import { describe, expect, it } from "vitest";
import { failureRates, fleetInterruptions, SECONDS_PER_YEAR } from "../src/engine/reliability/failureRates.js";
import { predictReliability } from "../src/engine/reliability/reliability.js";
import { ultrasim } from "./cliHelpers.js";

describe("the interruption count and the rates", () => {
  it("the fleet's count is the sum of the components', and the rates add up to it", () => {
    const fleet = fleetInterruptions();
    const total = failureRates("h100-sxm").reduce((s, r) => s + r.perChipSecond.value!, 0) * SECONDS_PER_YEAR;
    expect(total).toBeCloseTo((fleet.interruptions / (fleet.chips * fleet.days)) * 365, 12);
    expect(fleet.interruptions).toBe(419);
  });

  it("the footnote names the count the printed rates add up to", () => {
    const r = ultrasim("reliability", "--chips", "1000", "--points", "1");
    expect(r.code).toBe(0);
    const line = r.stdout.split("\n").find((l) => l.startsWith("failure rates:"))!;
    const rates = [...line.matchAll(/(\w+) (\d\.\d{4})/g)].map((m) => Number(m[2]));
    const m = /(\d\.\d{4}) in all \(.*?(\d+) interruptions \/ \((\d+) chips × (\d+) days\)/.exec(line)!;
    expect(m).not.toBeNull();
    const [all, count, chips, days] = m.slice(1).map(Number) as [number, number, number, number];
    expect(rates).toHaveLength(7); // one per component
    const sum = rates.reduce((s, x) => s + x, 0);
    expect(sum).toBeCloseTo(all, 3);
    expect((count / (chips * days)) * 365).toBeCloseTo(all, 4);
  });
});

describe("the checkpoint interval is at least one step", () => {
  const base = {
    chipId: "trainium3",
    parameters: 405e9,
    peerBytesPerSecond: 50e9,
    checkpoint: "in-memory" as const,
    hotSpares: 64,
    workSeconds: 30 * 86400,
    monteCarlo: false,
  };
  it("a fast in-memory checkpoint at scale checkpoints once per step, and says so", () => {
    const free = predictReliability({ ...base, chips: 1_000_000 });
    expect(free.intervalSeconds.value!).toBeLessThan(5);
    const held = predictReliability({ ...base, chips: 1_000_000, stepSeconds: 5 });
    expect(held.intervalSeconds.value).toBe(5);
    expect(held.intervalIsOneStep).toBe(true);
    expect(held.notes.join(" ")).toMatch(/shorter than one training step|checkpointing every step/);
  });
  it("a --checkpoint-interval shorter than a step is one step", () => {
    const held = predictReliability({ ...base, chips: 1000, stepSeconds: 5, intervalSeconds: 1 });
    expect(held.intervalSeconds.value).toBe(5);
    expect(held.notes.join(" ")).toMatch(/shorter than one training step/);
  });
  it("reliability holds every interval to the step and marks it", { timeout: 30_000 }, () => {
    const args = ["reliability", "--checkpoint", "in-memory", "--hot-spares", "64", "--step-seconds", "5"];
    const json = JSON.parse(ultrasim(...args, "--json").stdout) as { points: { intervalSeconds: { value: number } }[] };
    for (const p of json.points) expect(p.intervalSeconds.value).toBeGreaterThanOrEqual(5);
    const text = ultrasim(...args).stdout;
    expect(text).toMatch(/5\.000 s ‡/);
    expect(text).toMatch(/‡ one training step \(5\.000 s\)/);
  });
  it("without --step-seconds, the step is an estimate and listed as one", { timeout: 30_000 }, () => {
    const text = ultrasim("reliability", "--checkpoint", "in-memory", "--hot-spares", "64").stdout;
    expect(text).toMatch(/‡ one training step \([^)]*, estimated\)/);
    expect(text).toMatch(/rests on estimates: .*training step time/);
  });
});
