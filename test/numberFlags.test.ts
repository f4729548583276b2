// One number syntax for every numeric flag of every command: each command run with suffixed values
// (15T, 4k, 2^6, 1.5e1) gives exactly what it gives with the plain numbers.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseNumber, parseSlo } from "../src/engine/flagSyntax.js";
import { ultrasim } from "./cliHelpers.js";

describe("parseSlo", () => {
  it("reads each limit in its unit", () => {
    expect(parseSlo("ttft=2s,tpot=100ms,e2e=30")).toEqual({ ttftSeconds: 2, tpotSeconds: 0.1, e2eSeconds: 30 });
  });
  it("refuses a limit given twice (the last silently won)", () => {
    expect(() => parseSlo("ttft=2s,ttft=1s")).toThrow(/ttft is given twice/);
    expect(() => parseSlo("TPOT=50ms,tpot=60ms")).toThrow(/tpot is given twice/);
  });
});

describe("parseNumber", () => {
  it.each([
    ["1152", 1152],
    ["15T", 15e12],
    ["2.5B", 2.5e9],
    ["4G", 4e9],
    ["300M", 300e6],
    ["40k", 40e3],
    ["1.5e12", 1.5e12],
    ["2^20", 2 ** 20],
    ["2**10", 1024],
    [" 0.1 ", 0.1],
  ])("%s", (text, value) => expect(parseNumber(text)).toBe(value));
  it.each(["", "abc", "15X", "2^", "1..2"])("'%s' is not a number", (text) => expect(parseNumber(text)).toBeNaN());
});

/** stdout as JSON, without the wall-clock figures that differ run to run. */
function json(args: string[]): unknown {
  const r = ultrasim(...args);
  expect(r.stderr.replace(/^planning.*\n/gm, "")).toBe("");
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout, (k, v: unknown) => (k === "wallSeconds" ? undefined : v));
}

/** [suffixed, plain] argument lists: the same command, numbers written two ways. */
const CASES: Record<string, [string[], string[]]> = {
  train: [
    [
      "train",
      "--model",
      "llama3-8b",
      "--system",
      "dgx-h100",
      "--chips",
      "2^4",
      "--tp",
      "2^1",
      "--pp",
      "2",
      "--dp",
      "4",
      "--cp",
      "1",
      "--ep",
      "1",
      "--vpp",
      "1",
      "--zero",
      "1",
      "--seq-len",
      "4.096k",
      "--global-batch",
      "2^6",
      "--micro-batch",
      "1",
      "--tokens",
      "15T",
      "--pue",
      "1.2",
      "--grid-gco2-per-kwh",
      "0.4k",
      "--price-per-chip-hour",
      "2.5",
      "--reliability",
      "--hot-spares",
      "1e0",
      "--checkpoint-interval",
      "1.8k",
      "--failures-per-chip-year",
      "1.73e-1",
      "--seed",
      "2^1",
      "--json",
    ],
    [
      "train",
      "--model",
      "llama3-8b",
      "--system",
      "dgx-h100",
      "--chips",
      "16",
      "--tp",
      "2",
      "--pp",
      "2",
      "--dp",
      "4",
      "--cp",
      "1",
      "--ep",
      "1",
      "--vpp",
      "1",
      "--zero",
      "1",
      "--seq-len",
      "4096",
      "--global-batch",
      "64",
      "--micro-batch",
      "1",
      "--tokens",
      "15000000000000",
      "--pue",
      "1.2",
      "--grid-gco2-per-kwh",
      "400",
      "--price-per-chip-hour",
      "2.5",
      "--reliability",
      "--hot-spares",
      "1",
      "--checkpoint-interval",
      "1800",
      "--failures-per-chip-year",
      "0.173",
      "--seed",
      "2",
      "--json",
    ],
  ],
  plan: [
    [
      "plan",
      "--model",
      "llama3-8b",
      "--system",
      "dgx-h100",
      "--chips",
      "2^4",
      "--global-batch",
      "2^6",
      "--seq-len",
      "4.096k",
      "--objective",
      "time-to-train",
      "--tokens",
      "15T",
      "--top",
      "3e0",
      "--headroom",
      "1e-1",
      "--pue",
      "1.2",
      "--price-per-chip-hour",
      "2",
      "--json",
    ],
    [
      "plan",
      "--model",
      "llama3-8b",
      "--system",
      "dgx-h100",
      "--chips",
      "16",
      "--global-batch",
      "64",
      "--seq-len",
      "4096",
      "--objective",
      "time-to-train",
      "--tokens",
      "15000000000000",
      "--top",
      "3",
      "--headroom",
      "0.1",
      "--pue",
      "1.2",
      "--price-per-chip-hour",
      "2",
      "--json",
    ],
  ],
  scale: [
    [
      "scale",
      "--model",
      "llama3-8b",
      "--system",
      "dgx-h100",
      "--chips",
      "2^3..2^5",
      "--global-batch",
      "0.016k",
      "--seq-len",
      "4.096k",
      "--tokens",
      "15T",
      "--json",
    ],
    [
      "scale",
      "--model",
      "llama3-8b",
      "--system",
      "dgx-h100",
      "--chips",
      "8..32",
      "--global-batch",
      "16",
      "--seq-len",
      "4096",
      "--tokens",
      "15e12",
      "--json",
    ],
  ],
  compare: [
    [
      "compare",
      "--model",
      "llama3-8b",
      "--systems",
      "p5.48xlarge,trn2-ultraserver",
      "--baseline",
      "p5.48xlarge",
      "--chips",
      "2^6",
      "--global-batch",
      "2^6",
      "--seq-len",
      "4.096k",
      "--tokens",
      "15T",
      "--pue",
      "1.2",
      "--price-per-chip-hour",
      "2",
      "--json",
    ],
    [
      "compare",
      "--model",
      "llama3-8b",
      "--systems",
      "p5.48xlarge,trn2-ultraserver",
      "--baseline",
      "p5.48xlarge",
      "--chips",
      "64",
      "--global-batch",
      "64",
      "--seq-len",
      "4096",
      "--tokens",
      "15000000000000",
      "--pue",
      "1.2",
      "--price-per-chip-hour",
      "2",
      "--json",
    ],
  ],
  reliability: [
    [
      "reliability",
      "--chips",
      "1k..1M",
      "--points",
      "3e0",
      "--days",
      "3e1",
      "--hot-spares",
      "2^3",
      "--failures-per-chip-year",
      "1.73e-1",
      "--seed",
      "2^1",
      "--json",
    ],
    [
      "reliability",
      "--chips",
      "1000..1000000",
      "--points",
      "3",
      "--days",
      "30",
      "--hot-spares",
      "8",
      "--failures-per-chip-year",
      "0.173",
      "--seed",
      "2",
      "--json",
    ],
  ],
  serve: [
    [
      "serve",
      "examples/serve-llama3-70b-p5.yaml",
      "--requests",
      "0.5k",
      "--rate",
      "2e1",
      "--seed",
      "2^1",
      "--pue",
      "1.2",
      "--price-per-chip-hour",
      "2",
      "--json",
    ],
    [
      "serve",
      "examples/serve-llama3-70b-p5.yaml",
      "--requests",
      "500",
      "--rate",
      "20",
      "--seed",
      "2",
      "--pue",
      "1.2",
      "--price-per-chip-hour",
      "2",
      "--json",
    ],
  ],
  "serve plan": [
    ["serve", "plan", "examples/serve-llama3-70b-p5.yaml", "--requests", "0.2k", "--max-chips", "2^3", "--json"],
    ["serve", "plan", "examples/serve-llama3-70b-p5.yaml", "--requests", "200", "--max-chips", "8", "--json"],
  ],
};

describe("every command reads suffixed numbers as the plain ones", () => {
  for (const [command, [suffixed, plain]] of Object.entries(CASES))
    it(command, { timeout: 60_000 }, () => expect(json(suffixed)).toEqual(json(plain)));

  it("sweep plan --max-points", { timeout: 60_000 }, () => {
    const r = ultrasim("sweep", "plan", "examples/sweep/capacity.yaml", "--max-points", "1M");
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/limit 1,000,000/);
  });

  it("sweep run --workers --max-points", { timeout: 60_000 }, () => {
    const out = mkdtempSync(join(tmpdir(), "ultrasim-numbers-"));
    try {
      const r = ultrasim(
        "sweep",
        "run",
        "examples/sweep/what-if.yaml",
        "--catalog",
        "examples/my-catalog.yaml",
        "--out",
        out,
        "--workers",
        "2^0",
        "--max-points",
        "0.1k",
        "--quiet",
      );
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/2 points in/);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it("a bad number names the flag", () => {
    const r = ultrasim("plan", "--tokens", "15X");
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe("ultrasim: --tokens: must be a number (e.g. 1152, 15T, 2.5e12, 2^20), got '15X'");
  });
});
