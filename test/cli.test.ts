// End to end through the built CLI (dist/src/cli/main.js; `npm test` builds first): output shapes,
// the Chrome trace, and one-line errors with file, line and field for bad input.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const cli = fileURLToPath(new URL("../dist/src/cli/main.js", import.meta.url));
const casesPath = fileURLToPath(new URL("../../shared/validation/training.json", import.meta.url));
let dir: string;

beforeAll(() => {
  if (!existsSync(cli)) throw new Error(`${cli} is missing: run \`npm run build\` first (npm test does)`);
  dir = mkdtempSync(join(tmpdir(), "ultrasim-cli-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function ultrasim(...args: string[]) {
  const r = spawnSync(process.execPath, [cli, ...args], { cwd: dir, encoding: "utf8", timeout: 30_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

// A scenario in the shape of DEFAULT_TRAINING_SCENARIO: Llama 3 8B on two DGX H100s.
const SCENARIO = [
  "schemaVersion: 1",
  "model: llama3-8b",
  "system:",
  "  id: dgx-h100",
  "  chips: 16",
  "run:",
  "  seqLen: 4096",
  "  globalBatch: 64",
  "  microBatch: 1",
  "  precision: bf16",
  "parallelism:",
  "  tp: 2",
  "  pp: 2",
  "  dp: 4",
  "  cp: 1",
  "  ep: 1",
  "  etp: null",
  "  vpp: 1",
  "  sequenceParallel: true",
  "  zero: 1",
  "  recompute: selective",
];

/** 1-based line of the first line of SCENARIO starting with `prefix`. */
function lineOf(prefix: string): number {
  const i = SCENARIO.findIndex((l) => l.startsWith(prefix));
  if (i < 0) throw new Error(`no line ${prefix}`);
  return i + 1;
}

/** Write SCENARIO with the line starting `prefix` replaced by `replacement`. */
function scenarioFile(name: string, prefix?: string, replacement?: string): string {
  const lines = prefix === undefined ? SCENARIO : SCENARIO.map((l, i) => (i + 1 === lineOf(prefix) ? replacement! : l));
  const file = join(dir, name);
  writeFileSync(file, lines.join("\n") + "\n");
  return file;
}

/** Exit code 2, exactly one line on stderr, nothing that looks like a crash. */
function expectUserError(r: ReturnType<typeof ultrasim>): string {
  expect(r.code, r.stderr).toBe(2);
  const lines = r.stderr.trimEnd().split("\n");
  expect(lines, r.stderr).toHaveLength(1);
  expect(r.stderr).not.toContain("    at ");
  expect(r.stderr).not.toContain("NaN");
  expect(r.stderr).not.toContain("undefined");
  return lines[0]!;
}

/** The error line names the file and the given line: "ultrasim: <file>:<line>: <field>: ...". */
function expectLocated(message: string, file: string, line: number, field: string): void {
  expect(message).toContain(`${file}:${line}: `);
  expect(message).toContain(field);
}

describe("ultrasim train", () => {
  it("--json prints the prediction with memory and breakdown", () => {
    const r = ultrasim("train", "--json");
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.stepSeconds).toBeGreaterThan(0);
    for (const k of ["weights", "gradients", "optimizerStates", "activations", "total", "capacity", "fits", "freeBytes"])
      expect(report.memoryBytes).toHaveProperty(k);
    for (const k of ["compute", "tensorParallel", "pipelineBubble", "dataParallel", "optimizer"])
      expect(typeof report.breakdownSeconds[k]).toBe("number");
    const sum = Object.values(report.breakdownSeconds as Record<string, number>).reduce((a, b) => a + b, 0);
    expect(Math.abs(sum - report.stepSeconds) / report.stepSeconds).toBeLessThan(1e-9);
    expect(report.tokensPerSecond).toBeCloseTo((report.run.globalBatch * report.run.seqLen) / report.stepSeconds, 3);
  });

  it("prints a table with the step time", () => {
    const r = ultrasim("train");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("step time");
    expect(r.stdout).not.toContain("NaN");
  });

  it("reads a YAML scenario", () => {
    const file = scenarioFile("ok.yaml");
    const r = ultrasim("train", file, "--json");
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.model.id).toBe("llama3-8b");
    expect(report.layout).toMatchObject({ tp: 2, pp: 2, dp: 4, microBatches: 64 / 4 });
  });

  it("flags override the scenario file", () => {
    const r = ultrasim("train", scenarioFile("ok.yaml"), "--json", "--tp", "4", "--dp", "2");
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).layout).toMatchObject({ tp: 4, dp: 2 });
  });

  it("--trace writes a Chrome trace with a thread per pipeline stage", () => {
    const trace = join(dir, "out.json");
    const r = ultrasim("train", "--json", "--trace", trace);
    expect(r.code, r.stderr).toBe(0);
    const pp: number = JSON.parse(r.stdout).layout.pp;
    const { traceEvents } = JSON.parse(readFileSync(trace, "utf8")) as {
      traceEvents: { ph: string; name: string; ts?: number; dur?: number; tid: number }[];
    };
    const slices = traceEvents.filter((e) => e.ph === "X");
    expect(slices.length).toBeGreaterThan(0);
    for (const e of slices) {
      expect(typeof e.ts).toBe("number");
      expect(typeof e.dur).toBe("number");
      expect(Number.isFinite(e.ts!) && Number.isFinite(e.dur!)).toBe(true);
      expect(e.dur!).toBeGreaterThanOrEqual(0);
    }
    const threads = traceEvents.filter((e) => e.ph === "M" && e.name === "thread_name").map((e) => e.tid);
    expect(new Set(threads)).toEqual(new Set(Array.from({ length: pp }, (_, i) => i)));
    expect(new Set(slices.map((e) => e.tid))).toEqual(new Set(threads));
  });
});

describe("ultrasim validate", () => {
  it("--json reports every training case with its error and a summary", () => {
    const r = ultrasim("validate", casesPath, "--json");
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout);
    const file = (JSON.parse(readFileSync(casesPath, "utf8")) as { id: string; kind: string; measured: { stepSeconds: number } }[]).filter(
      (c) => c.kind === "training",
    );
    expect(report.cases).toHaveLength(file.length);
    const measured = new Map(file.map((c) => [c.id, c.measured.stepSeconds]));
    for (const c of report.cases) {
      expect(typeof c.group).toBe("string");
      expect(c.measured.stepSeconds).toBe(measured.get(c.id));
      expect(c.predicted.stepSeconds).toBeGreaterThan(0);
      expect(c.errorPct).toBeCloseTo((100 * (c.predicted.stepSeconds - c.measured.stepSeconds)) / c.measured.stepSeconds, 6);
    }
    expect(report.summary.count).toBe(file.length);
    expect(typeof report.summary.medianAbsErrorPct).toBe("number");
    expect(typeof report.summary.p90AbsErrorPct).toBe("number");
    expect(report.summary.p90AbsErrorPct).toBeGreaterThanOrEqual(report.summary.medianAbsErrorPct);
  });
});

describe("ultrasim catalog", () => {
  it.each(["chips", "systems", "models", "frameworks", "engines"])("%s lists the ids (table and --json)", (kind) => {
    const json = ultrasim("catalog", kind, "--json");
    expect(json.code, json.stderr).toBe(0);
    const ids = (JSON.parse(json.stdout) as { id: string }[]).map((e) => e.id);
    expect(ids.length).toBeGreaterThan(0);
    const table = ultrasim("catalog", kind);
    expect(table.code, table.stderr).toBe(0);
    for (const id of ids) expect(table.stdout).toContain(id);
  });
  it("engines: each with its scheduler, host time per step and whether it overlaps it, as the data says", () => {
    const engines = JSON.parse(ultrasim("catalog", "engines", "--json").stdout) as {
      id: string;
      scheduler: string;
      iterationOverheadUs: { value: number };
      hostOverlap: { value: boolean };
    }[];
    const rows = ultrasim("catalog", "engines").stdout.split("\n");
    for (const e of engines) {
      const row = rows.find((r) => r.startsWith(`│ ${e.id} `))!;
      expect(row, e.id).toBeDefined();
      const cells = row.split("│").map((c) => c.trim());
      expect(cells).toContain(e.scheduler);
      expect(cells.some((c) => c.startsWith(String(e.iterationOverheadUs.value)))).toBe(true);
      expect(cells[8]).toBe(e.hostOverlap.value ? "yes" : "no");
    }
  });
  it("systems: a level whose collectives were measured says so beside its line rate, as the data says", () => {
    const systems = JSON.parse(ultrasim("catalog", "systems", "--json").stdout) as {
      id: string;
      scaleUp: { measuredBusBandwidthGBps?: { value: number } }[];
    }[];
    const measured = systems.filter((s) => s.scaleUp.some((l) => l.measuredBusBandwidthGBps));
    expect(measured.map((s) => s.id)).toContain("dgx-a100-80gb");
    const rows = ultrasim("catalog", "systems").stdout.split("\n");
    for (const s of measured) {
      const value = s.scaleUp.find((l) => l.measuredBusBandwidthGBps)!.measuredBusBandwidthGBps!.value;
      expect(rows.find((r) => r.startsWith(`│ ${s.id} `))).toContain(`(collectives measured at ${value})`);
    }
  });
  it("systems: an NVLS level shows its all-reduce rate, measured or marked an estimate, as the data says", () => {
    type Rate = { value: number; estimate?: boolean };
    const systems = JSON.parse(ultrasim("catalog", "systems", "--json").stdout) as {
      id: string;
      scaleUp: { inNetworkReduction?: { algorithmBandwidthGBps?: Rate } }[];
    }[];
    const rows = ultrasim("catalog", "systems").stdout.split("\n");
    const shown = systems.flatMap((s) => {
      const rate = s.scaleUp.find((l) => l.inNetworkReduction?.algorithmBandwidthGBps)?.inNetworkReduction!.algorithmBandwidthGBps;
      return rate ? [{ id: s.id, rate }] : [];
    });
    expect(shown.map((s) => s.id)).toEqual(expect.arrayContaining(["dgx-h100", "dgx-b200"]));
    for (const { id, rate } of shown)
      expect(rows.find((r) => r.startsWith(`│ ${id} `))).toContain(
        rate.estimate ? `(NVLS all-reduce at ${rate.value} (est.))` : `(NVLS all-reduce measured at ${rate.value})`,
      );
  });
  it("contains the entries the other tests use", () => {
    expect(ultrasim("catalog", "systems").stdout).toContain("dgx-h100");
    expect(ultrasim("catalog", "models").stdout).toContain("llama3-8b");
  });
});

describe("bad input: exit 2, one line naming file, line and field", () => {
  it("an unknown model id", () => {
    const file = scenarioFile("unknown-model.yaml", "model:", "model: llama3-8bx");
    const msg = expectUserError(ultrasim("train", file));
    expectLocated(msg, file, lineOf("model:"), "model");
    expect(msg).toContain("llama3-8bx");
  });
  it.each([
    ["tp 0", "  tp:", "  tp: 0", "parallelism.tp"],
    ["tp 1.5", "  tp:", "  tp: 1.5", "parallelism.tp"],
    ["a negative pp", "  pp:", "  pp: -2", "parallelism.pp"],
    ["a negative dp", "  dp:", "  dp: -4", "parallelism.dp"],
    ["a string degree", "  cp:", "  cp: two", "parallelism.cp"],
  ])("%s", (_what, prefix, replacement, field) => {
    const file = scenarioFile("degree.yaml", prefix, replacement);
    expectLocated(expectUserError(ultrasim("train", file)), file, lineOf(prefix), field);
  });
  it("a globalBatch that does not divide by dp * microBatch", () => {
    const file = scenarioFile("batch.yaml", "  globalBatch:", "  globalBatch: 66");
    const msg = expectUserError(ultrasim("train", file));
    expectLocated(msg, file, lineOf("  globalBatch:"), "run.globalBatch");
    expect(msg).toContain("66");
  });
  it("tp*pp*dp*cp != chips names the parallelism block", () => {
    const file = scenarioFile("mismatch.yaml", "  dp:", "  dp: 2");
    const msg = expectUserError(ultrasim("train", file));
    expect(msg).toContain(`${file}:`);
    expect(msg).toContain("parallelism");
    expect(msg).toContain("16");
    const line = Number(/\.yaml:(\d+):/.exec(msg)![1]);
    expect(line).toBeGreaterThanOrEqual(lineOf("parallelism:"));
    expect(line).toBeLessThanOrEqual(SCENARIO.length);
  });
  it("tp*pp*dp*cp != chips points at the line of `parallelism:`", () => {
    const file = scenarioFile("mismatch.yaml", "  dp:", "  dp: 2");
    expectLocated(expectUserError(ultrasim("train", file)), file, lineOf("parallelism:"), "parallelism");
  });
  it("an unknown field inside a block", () => {
    const file = join(dir, "extra.yaml");
    writeFileSync(file, [...SCENARIO, "  tpp: 3"].join("\n") + "\n");
    expectLocated(expectUserError(ultrasim("train", file)), file, SCENARIO.length + 1, "parallelism.tpp");
  });
  it("a misspelt top-level field exits 2 with one line", () => {
    const file = scenarioFile("typo.yaml", "parallelism:", "paralelism:");
    const msg = expectUserError(ultrasim("train", file));
    expect(msg).toContain(`${file}:`);
  });
  it("a misspelt top-level field is named, at its line", () => {
    const file = scenarioFile("typo.yaml", "parallelism:", "paralelism:");
    expectLocated(expectUserError(ultrasim("train", file)), file, lineOf("parallelism:"), "paralelism");
  });
  it("malformed YAML (an unclosed flow sequence)", () => {
    const file = scenarioFile("malformed.yaml", "model:", "model: [unclosed");
    const msg = expectUserError(ultrasim("train", file));
    expect(msg).toMatch(/malformed YAML/);
    // The parser notices the unclosed bracket at the start of the next line at the latest.
    const line = Number(/\.yaml:(\d+):/.exec(msg)![1]);
    expect(line).toBeGreaterThanOrEqual(lineOf("model:"));
    expect(line).toBeLessThanOrEqual(lineOf("model:") + 1);
  });
  it("malformed YAML on one line (a mapping nested in a compact value)", () => {
    const file = scenarioFile("malformed2.yaml", "  pp:", "  pp: 2: 3");
    const msg = expectUserError(ultrasim("train", file));
    expect(msg).toContain(`${file}:${lineOf("  pp:")}: `);
    expect(msg).toMatch(/malformed YAML/);
  });
  it("a missing scenario file", () => {
    const msg = expectUserError(ultrasim("train", join(dir, "nope.yaml")));
    expect(msg).toContain("nope.yaml");
  });
  it.each([
    [["--tp", "abc"], "--tp"],
    [["--tp", "0"], "--tp"],
    [["--tp", "1.5"], "--tp"],
    [["--pp", "-3"], "--pp"],
    [["--precision", "fp7"], "--precision"],
  ])("flag error train %j names the flag", (args, flag) => {
    const msg = expectUserError(ultrasim("train", ...args));
    expect(msg).toContain(flag);
  });
  it("a flag error on top of a file names the flag", () => {
    const msg = expectUserError(ultrasim("train", scenarioFile("ok.yaml"), "--tp", "abc"));
    expect(msg).toContain("--tp");
  });
  it("an unknown option fails without a stack trace", () => {
    const r = ultrasim("train", "--bogus");
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("--bogus");
    expect(r.stderr).not.toContain("    at ");
  });
});

describe("a word that is not one of the choices", () => {
  it("names the choices, for a flag and for a field of a file", () => {
    const flag = spawnSync(process.execPath, [cli, "train", "--precision", "fp3"], { encoding: "utf8" });
    expect(flag.status).toBe(2);
    expect(flag.stderr).toBe('ultrasim: --precision: must be one of fp16 | bf16 | fp8 | mxfp8 | nvfp4, got "fp3"\n');
    const recompute = spawnSync(process.execPath, [cli, "train", "--recompute", "some"], { encoding: "utf8" });
    expect(recompute.stderr).toBe('ultrasim: --recompute: must be one of none | selective | full, got "some"\n');
  });
});

describe("serve without a scenario", () => {
  // Run from a temporary folder: the default is the package's example, found from any directory.
  const example = fileURLToPath(new URL("../examples/serve-llama3.3-70b-trn3.yaml", import.meta.url));

  it("simulates the built-in default, the package's example, and says so", () => {
    const r = ultrasim("serve");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Llama 3\.3 70B on one Trn3 UltraServer: .*144 chips/m);
    expect(r.stdout).toContain(
      "assumed: no scenario given: the built-in default, Llama 3.3 70B on one Trn3 UltraServer (examples/serve-llama3.3-70b-trn3.yaml)",
    );
    // The same numbers as naming the example: the default is that file, not a copy of it.
    const json = JSON.parse(ultrasim("serve", "--json").stdout) as { assumptions: string[]; latency: unknown; throughput: unknown };
    const named = JSON.parse(ultrasim("serve", example, "--json").stdout) as typeof json;
    expect(json.assumptions.some((a) => a.startsWith("no scenario given: the built-in default"))).toBe(true);
    expect(named.assumptions.some((a) => a.startsWith("no scenario given"))).toBe(false);
    expect(json.latency).toEqual(named.latency);
    expect(json.throughput).toEqual(named.throughput);
  });

  it("`serve plan` plans for the default, and says so", () => {
    const r = ultrasim("serve", "plan", "--requests", "300", "--max-chips", "16");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^best \(most output tokens\/s per chip\): trn3-ultraserver/m);
    expect(r.stdout).toContain("note: no scenario given: the built-in default");
  });
});

describe("serve over several client counts", () => {
  const example = fileURLToPath(new URL("../examples/serve-llama3-70b-p5.yaml", import.meta.url));

  it("prints the throughput-latency curve, one row per count, and its JSON has each closed loop's report", () => {
    const r = ultrasim("serve", example, "--concurrency", "8,1", "--requests", "100");
    expect(r.code).toBe(0);
    const rows = r.stdout.split("\n").filter((l) => /^│ \d+ +│/.test(l));
    // Sorted, one row each, with the requests each level ran (8 per client at least).
    expect(rows.map((l) => l.split("│")[1]!.trim())).toEqual(["1", "8"]);
    expect(rows.map((l) => l.split("│")[2]!.trim())).toEqual(["100", "100"]);
    expect(r.stdout).toContain("tok/s per user");
    const json = JSON.parse(ultrasim("serve", example, "--concurrency", "1,8", "--requests", "100", "--json").stdout) as {
      points: { concurrency: number; requests: number; report: { throughput: { sustainedOutputTokensPerSecond: number } } }[];
    };
    expect(json.points.map((p) => p.concurrency)).toEqual([1, 8]);
    // One client's throughput against eight: more clients, more tokens per second.
    expect(json.points[1]!.report.throughput.sustainedOutputTokensPerSecond).toBeGreaterThan(
      json.points[0]!.report.throughput.sustainedOutputTokensPerSecond,
    );
  });

  it("is one load at a time for serve plan, which says so", () => {
    const r = ultrasim("serve", "plan", example, "--concurrency", "1,8");
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("ultrasim: --concurrency: serve plan searches at one load: give one client count\n");
  });
});
