// Every bad input through the real CLI (dist/src/cli/main.js; `npm test` builds first): numbers past
// any real system, alias bombs, huge and deep files, broken catalogs and case files, NaN and Infinity.
// Each must end within its time bound with exit 2 and one line naming the file, the line and the
// field (or the flag), or exit 0 with finite output. No stack trace, no NaN, no Infinity.
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const cli = fileURLToPath(new URL("../dist/src/cli/main.js", import.meta.url));
const root = fileURLToPath(new URL("..", import.meta.url));
const casesPath = fileURLToPath(new URL("../../shared/validation/training.json", import.meta.url));
let dir: string;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  seconds: number;
}

/** The CLI, killed past `limitSeconds` (which then fails the test: every input has a time bound). */
function ultrasim(args: string[], limitSeconds = 30): Promise<Run> {
  const started = performance.now();
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [cli, ...args],
      { cwd: dir, encoding: "utf8", timeout: limitSeconds * 1000, maxBuffer: 64 << 20 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : null) : 0;
        resolve({ code, stdout, stderr, seconds: (performance.now() - started) / 1000 });
      },
    );
  });
}

/** Exit 2 and one line "ultrasim: [file:line: ]field: message" matching `pattern`. */
function expectOneLine(r: Run, pattern: RegExp): string {
  expect(r.code, r.stderr).toBe(2);
  const lines = r.stderr.trim().split("\n");
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^ultrasim: /);
  expect(lines[0]).not.toMatch(/\bat .*\.js:\d+/);
  expect(lines[0]).toMatch(pattern);
  return lines[0]!;
}

/** Exit 0, and no NaN or Infinity anywhere in the output. */
function expectFinite(r: Run): void {
  expect(r.code, r.stderr).toBe(0);
  expect(r.stdout).not.toMatch(/\bNaN\b|Infinity/);
}

const example = (name: string) => readFileSync(join(root, "examples", name), "utf8");
const write = (name: string, text: string) => {
  writeFileSync(join(dir, name), text);
  return name;
};
/** The training example with one line's value replaced: `key: old` becomes `key: value`. */
const training = (name: string, key: string, value: string) =>
  write(name, example("llama3-70b-dgx-h100.yaml").replace(new RegExp(`(\\n\\s*${key}:) [^\\n#]+`), `$1 ${value}`));
const serving = (name: string, key: string, value: string) =>
  write(name, example("serve-llama3-70b-p5.yaml").replace(new RegExp(`(\\n\\s*${key}:) [^\\n#]+`), `$1 ${value}`));

type Entry = { [key: string]: unknown };

/** Set the dot-separated `path` of `target` (array indices as numbers) to `value`. */
function setPath(target: Entry, path: string, value: unknown): void {
  const keys = path.split(".");
  let node = target;
  for (const key of keys.slice(0, -1)) node = node[key] as Entry;
  node[keys[keys.length - 1]!] = value;
}

/** A user catalog of one chip (the H100's figures) and one system built on it, `path` (chip.… or system.…) set to `value`. */
function catalogFile(name: string, path?: string, value?: unknown): string {
  const chips = JSON.parse(readFileSync(join(root, "data/chips.json"), "utf8")) as Entry[];
  const systems = JSON.parse(readFileSync(join(root, "data/systems.json"), "utf8")) as Entry[];
  const chip = { ...structuredClone(chips.find((c) => c.id === "h100-sxm")!), id: "my-chip" };
  const system = { ...structuredClone(systems.find((s) => s.id === "dgx-h100")!), id: "my-system", chip: "my-chip" };
  if (path) setPath({ chip, system }, path, value);
  return write(name, JSON.stringify({ chips: [chip], systems: [system] }, null, 1));
}
const onMySystem = ["--model", "llama3-8b", "--system", "my-system", "--chips", "8", "--tp", "8"];

beforeAll(() => {
  if (!existsSync(cli)) throw new Error(`${cli} is missing: run \`npm run build\` first (npm test does)`);
  dir = mkdtempSync(join(tmpdir(), "ultrasim-hostile-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("numbers past any real system end with one line naming the field and its bound", () => {
  it.concurrent.each([
    ["gb1.yaml", "globalBatch", "1e308", /gb1\.yaml:10: run\.globalBatch: must be at most 10,000,000 sequences/],
    ["gb2.yaml", "globalBatch", "18446744073709551616", /gb2\.yaml:10: run\.globalBatch: must be at most/],
    ["sl.yaml", "seqLen", "1e308", /sl\.yaml:9: run\.seqLen: must be at most 10,000,000 tokens/],
    ["ch.yaml", "chips", "1e308", /ch\.yaml:7: system\.chips: must be at most 10,000,000 chips/],
  ])("train %s: %s %s", async (name, key, value, pattern) => {
    expectOneLine(await ultrasim(["train", training(name, key, value)]), pattern);
  });

  it.concurrent("train --global-batch 2^64 names the flag", async () => {
    const r = await ultrasim([
      "train",
      "--model",
      "llama3-8b",
      "--system",
      "dgx-h100",
      "--chips",
      "8",
      "--global-batch",
      "18446744073709551616",
    ]);
    expectOneLine(r, /^ultrasim: --global-batch: must be at most 10,000,000/);
  });

  it.concurrent("a million pipeline stages: a model of 1e6 layers is refused at its layers", async () => {
    const file = write(
      "deep-model.yaml",
      example("llama3-70b-dgx-h100.yaml")
        .replace(
          "model: llama3-70b",
          "model: { name: deep, layers: 1000000, hidden: 512, heads: 8, kvHeads: 8, headDim: null, ffnHidden: 1024, ffnKind: swiglu, vocab: 1000, tiedEmbeddings: false, moe: null, mla: null, slidingWindow: null }",
        )
        .replace("chips: 64", "chips: 1000000")
        .replace(/pp: 4/, "pp: 1000000")
        .replace(/tp: 4/, "tp: 1")
        .replace(/dp: 2/, "dp: 1")
        .replace(/cp: 2/, "cp: 1"),
    );
    expectOneLine(await ultrasim(["train", file]), /deep-model\.yaml:4: model\.layers: must be at most 10,000 layers/);
  });

  it.concurrent("a pipeline schedule past 10M passes names run.globalBatch and what to change", async () => {
    const file = write(
      "long-schedule.yaml",
      example("llama3-70b-dgx-h100.yaml").replace("globalBatch: 128", "globalBatch: 10000000").replace("vpp: 5", "vpp: 1"),
    );
    expectOneLine(
      await ultrasim(["train", file]),
      /long-schedule\.yaml:10: run\.globalBatch: pp\*vpp\*micro-batches = 4\*1\*5000000.*raise microBatch/,
    );
  });

  it.concurrent.each([
    ["replicas", "1e308", /deployment\.replicas: must be at most 10,000,000 chips/],
    ["requests", "1e308", /traffic\.requests: must be at most 1,000,000 requests/],
    ["replicas", "100000", /deployment\.replicas: 100,000 replicas to simulate is more than the limit of 10,000 .*pass --force/],
  ])("serve %s: %s", async (key, value, pattern) => {
    const file = serving(`serve-${key}-${value}.yaml`, key, value);
    expectOneLine(await ultrasim(["serve", file]), new RegExp(`serve-${key}-${value}\\.yaml:\\d+: ${pattern.source}`));
  });

  it.concurrent.each([
    [["2e6"], /^ultrasim: --requests: must be at most 1,000,000 requests, got 2,000,000/],
    [["1e9"], /^ultrasim: --requests: must be at most 1,000,000 requests/],
    [["200000"], /^ultrasim: --requests: 200,000 requests to simulate is more than the limit of 100,000 .*pass --force/],
  ])("serve --requests %s says so before it starts", async ([requests], pattern) => {
    const r = await ultrasim(["serve", join(root, "examples/serve-llama3-70b-p5.yaml"), "--requests", requests!], 10);
    expectOneLine(r, pattern);
  });

  it.concurrent.each([
    [["plan", "--chips", "8..1e300"], /^ultrasim: --chips: must be at most 10,000,000 chips/],
    [["compare", "--chips", "1e300"], /^ultrasim: --chips: must be at most 10,000,000 chips/],
    [["scale", "--chips", "64", "--global-batch", "1e300"], /^ultrasim: --global-batch: must be at most/],
    [["train", "--tokens", "1e308"], /^ultrasim: --tokens: must be at most 1,000,000,000,000,000 tokens/],
    [["reliability", "--chips", "1e15"], /^ultrasim: --chips: must be at most 10,000,000 chips/],
    [["reliability", "--points", "1e5"], /^ultrasim: --points: 100,000 points is more than the limit of 1,000 .*pass --force/],
    [["reliability", "--failures-per-chip-year", "1e9"], /^ultrasim: --failures-per-chip-year: must be at most 1,000/],
    [["reliability", "--days", "0"], /^ultrasim: --days: must be a positive number of days, got '0'/],
    [["reliability", "--days", "-1"], /^ultrasim: --days: must be a positive number of days/],
    [["reliability", "--days", "1e6"], /^ultrasim: --days: must be at most 36,500 days/],
  ])("%j", async (args, pattern) => {
    expectOneLine(await ultrasim(args, 10), pattern);
  });

  it.concurrent("reliability at the chip bound ends in seconds with finite output (the restart loop ran forever at 1e7)", async () => {
    const r = await ultrasim(["reliability", "--chips", "1e7", "--points", "1", "--failures-per-chip-year", "1000", "--json"], 10);
    expectFinite(r);
    const point = JSON.parse(r.stdout).points[0];
    expect(point.monteCarlo.truncated).toBe(true);
    expect(point.monteCarlo.effectiveSeconds.value).toBeNull();
  });
});

describe("hostile files", () => {
  it.concurrent("a billion-laughs alias bomb is refused as one line", async () => {
    const rows = ["a: &a [x, x, x, x, x, x, x, x, x]"];
    for (const [i, name] of ["b", "c", "d", "e", "f", "g"].entries()) {
      const prev = String.fromCharCode(97 + i);
      rows.push(`${name}: &${name} [${Array(9).fill(`*${prev}`).join(", ")}]`);
    }
    const r = await ultrasim(["train", write("laughs.yaml", rows.join("\n"))], 10);
    expectOneLine(r, /^ultrasim: laughs\.yaml:2: malformed YAML: too many alias expansions/);
  });

  it.concurrent("an alias to an undefined anchor names its line", async () => {
    const r = await ultrasim(["train", write("undefined-alias.yaml", "schemaVersion: 1\nmodel: *nowhere\n")]);
    expectOneLine(r, /^ultrasim: undefined-alias\.yaml:2: malformed YAML: Unresolved alias.*nowhere/);
  });

  it.concurrent("a file past 5 MB is refused before it is parsed", async () => {
    const r = await ultrasim(["train", write("big.yaml", `name: "${"a".repeat(6_000_000)}"\n`)], 10);
    expectOneLine(r, /^ultrasim: big\.yaml: the file must be at most 5,000,000 bytes, got 6,000,\d+/);
  });

  it.concurrent.each([
    ["deep.json", "[".repeat(100_000) + "]".repeat(100_000)],
    ["deep2.json", "[".repeat(100) + "]".repeat(100)],
    ["deep.yaml", Array.from({ length: 200 }, (_, i) => `${" ".repeat(i)}a${i}:`).join("\n") + " 1\n"],
  ])("%s: nesting past any schema is one line", async (name, text) => {
    expectOneLine(
      await ultrasim(["train", write(name, text)], 10),
      new RegExp(`^ultrasim: ${name.replace(".", "\\.")}(:\\d+)?: malformed (JSON|YAML): nested`),
    );
  });

  it.concurrent.each([
    [".nan", /run\.seqLen: must be a finite number, got NaN/],
    [".inf", /run\.seqLen: must be at most 10,000,000 tokens, got Infinity/],
    ["1e999", /run\.seqLen: must be at most 10,000,000 tokens, got Infinity/],
  ])("seqLen: %s is reported by name, not as null", async (value, pattern) => {
    const file = training(`nan-${value.replace(".", "")}.yaml`, "seqLen", value);
    expectOneLine(await ultrasim(["train", file]), new RegExp(`nan-\\w+\\.yaml:9: ${pattern.source}`));
  });

  it.concurrent("a hetero scenario refuses unknown fields, naming the typo", async () => {
    const file = write("hetero-typo.json", example("trn4-rubin-fusion.json").replace('"seqLen"', '"seqlen"'));
    expectOneLine(await ultrasim(["hetero", file]), /^ultrasim: hetero-typo\.json:\d+: training\.run\.seqlen: unknown field/);
  });
});

describe("user catalogs: figures that cannot be are refused with file, line and field", () => {
  it.concurrent.each([
    ["negative peak", "chip.peakTflops.bf16.value", -1, /chips\.0\.peakTflops\.bf16\.value: .*greater than 0, got -1/],
    ["zero peak", "chip.peakTflops.bf16.value", 0, /chips\.0\.peakTflops\.bf16\.value: .*greater than 0, got 0/],
    ["zero HBM", "chip.hbmCapacityGB.value", 0, /chips\.0\.hbmCapacityGB\.value/],
    ["HBM 1e308 GB", "chip.hbmCapacityGB.value", 1e308, /chips\.0\.hbmCapacityGB\.value: must be at most 1,000,000,000/],
    ["negative bandwidth", "chip.hbmBandwidthTBps.value", -3, /chips\.0\.hbmBandwidthTBps\.value/],
    ["negative TDP", "chip.tdpW.value", -700, /chips\.0\.tdpW\.value/],
    [
      "negative runtimeReservedGB",
      "chip.runtimeReservedGB.value",
      -3,
      /chips\.0\.runtimeReservedGB\.value: .*greater or equal to 0, got -3/,
    ],
    ["zero latency", "system.scaleUp.0.latencyUs.value", 0, /systems\.0\.scaleUp\.0\.latencyUs\.value/],
    ["negative scale-out", "system.scaleOut.gbpsPerChip.value", -400, /systems\.0\.scaleOut\.gbpsPerChip\.value/],
  ])("%s", async (name, path, value, pattern) => {
    const file = catalogFile(`catalog-${name.replace(/\W+/g, "-")}.json`, path, value);
    const r = await ultrasim(["train", "--catalog", file, ...onMySystem]);
    expectOneLine(r, new RegExp(`catalog-[\\w-]+\\.json:\\d+: ${pattern.source}`));
  });

  it.concurrent("two chips with one id in one file are refused, naming both", async () => {
    const one = JSON.parse(readFileSync(join(dir, catalogFile("catalog-one.json")), "utf8"));
    one.chips.push(structuredClone(one.chips[0]));
    const file = write("catalog-dup.json", JSON.stringify(one, null, 1));
    expectOneLine(
      await ultrasim(["catalog", "chips", "--catalog", file]),
      /catalog-dup\.json:\d+: chips\.1\.id: duplicate id 'my-chip': chips\.0 has it too/,
    );
  });
});

describe("validate: a file that is not a set of cases ends with exit 2", () => {
  const measuredCase = () => (JSON.parse(readFileSync(casesPath, "utf8")) as Entry[])[0]!;
  it.concurrent.each([
    ["null.json", "[null]", /null\.json:1: 0: a case is a mapping/],
    ["numbers.json", "[1, 2]", /numbers\.json:1: 0: a case is a mapping .* got 1/],
    ["no-kind.json", '[{"id": "x"}]', /no-kind\.json:1: 0\.kind: missing/],
    ["empty.json", "[]", /empty\.json:1: the file holds no cases/],
    [
      "nan.yaml",
      "- kind: training\n  measured: { stepSeconds: .nan }\n",
      /nan\.yaml:2: 0\.measured\.stepSeconds: must be a finite number, got NaN/,
    ],
  ])("%s", async (name, text, pattern) => {
    expectOneLine(await ultrasim(["validate", write(name, text)]), pattern);
  });
  it.concurrent("a measured step of 1e999 (Infinity once parsed)", async () => {
    const text = JSON.stringify([measuredCase()], null, 1).replace(/"stepSeconds": [0-9.e+-]+/, '"stepSeconds": 1e999');
    expectOneLine(
      await ultrasim(["validate", write("inf.json", text)]),
      /inf\.json:\d+: 0\.measured\.stepSeconds: must be a finite number, got Infinity/,
    );
  });
});

describe("messages name where the bad value came from", () => {
  it.concurrent("plan FILE with an unknown model names the file and line, as train does", async () => {
    const file = training("unknown-model.yaml", "model", "nosuch");
    expectOneLine(await ultrasim(["plan", file]), /^ultrasim: unknown-model\.yaml:4: model: unknown model 'nosuch'/);
  });
  it.concurrent("serve plan blames the scenario's field, not --systems, for the file's system", async () => {
    const file = serving("unknown-system.yaml", "system", "nosuch");
    expectOneLine(
      await ultrasim(["serve", "plan", file]),
      /^ultrasim: unknown-system\.yaml:8: deployment\.system: unknown system 'nosuch'/,
    );
    expectOneLine(await ultrasim(["serve", "plan", file, "--systems", "dgx-h100,bad"]), /^ultrasim: --systems: unknown system 'bad'/);
  });
});

describe("normal outputs hold no impossible figures", () => {
  it.concurrent("the pipeline bubble at pp 1 is zero, not -4e-16 s", async () => {
    const r = await ultrasim(["train", "--model", "llama3-8b", "--system", "dgx-h100", "--chips", "8", "--tp", "8", "--json"]);
    expectFinite(r);
    const report = JSON.parse(r.stdout);
    expect(report.layout.pp).toBe(1);
    // Rounding may leave picoseconds; never below zero (it printed "-0.0 µs").
    expect(report.breakdownSeconds.pipelineBubble).toBeGreaterThanOrEqual(0);
    expect(report.breakdownSeconds.pipelineBubble).toBeLessThan(1e-9 * report.stepSeconds);
  });
  it.concurrent("a model that does not fit for serving: infeasible with the reason, KV bytes 0, not negative", async () => {
    const file = write(
      "no-fit.yaml",
      example("serve-llama3-70b-p5.yaml").replace("model: llama3.3-70b", "model: llama3.1-405b").replace("tp: 2", "tp: 1"),
    );
    const r = await ultrasim(["serve", file, "--json"]);
    expectFinite(r);
    const report = JSON.parse(r.stdout);
    expect(report.feasible).toBe(false);
    expect(report.infeasibleReason).toMatch(/leave no room for a KV cache/);
    expect(JSON.stringify(report)).not.toMatch(/"kvBytesPerChip":-/);
    expect(r.stdout).toMatch(/"kvBytesPerChip": 0/);
  });
});

describe("precisions a chip lacks and layouts not given are stated as assumptions", () => {
  it.concurrent("mxfp8 on an H100 runs at fp8 and says so (train, compare)", async () => {
    const args = ["--model", "llama3-8b", "--system", "dgx-h100", "--chips", "8", "--tp", "8", "--precision", "mxfp8"];
    const r = await ultrasim(["train", ...args, "--json"]);
    expectFinite(r);
    const report = JSON.parse(r.stdout);
    expect(report.peakPrecision).toBe("fp8");
    expect(report.assumptions.join("\n")).toMatch(/h100-sxm has no mxfp8 in hardware .*predicted at fp8/);
    const text = await ultrasim(["train", ...args]);
    expect(text.stdout).toMatch(/TFLOP\/s fp8 peak/);
    const c = await ultrasim([
      "compare",
      "--model",
      "llama3-8b",
      "--systems",
      "dgx-h100,dgx-b200",
      "--baseline",
      "dgx-b200",
      "--chips",
      "16",
      "--precision",
      "mxfp8",
      "--json",
    ]);
    expectFinite(c);
    const notes: string[] = JSON.parse(c.stdout).notes;
    expect(notes.some((n) => /h100-sxm has no mxfp8/.test(n))).toBe(true);
    expect(notes.some((n) => /b200 has no mxfp8/.test(n))).toBe(false);
  });
  it.concurrent("serving mxfp8 on an H100 says it runs at fp8; fp8 assumes nothing", async () => {
    const file = write("serve-mxfp8.yaml", example("serve-llama3-70b-p5.yaml").replace("precision: fp8", "precision: mxfp8"));
    const r = await ultrasim(["serve", file, "--requests", "100", "--json"]);
    expectFinite(r);
    expect(JSON.parse(r.stdout).assumptions).toEqual([expect.stringMatching(/h100-sxm has no mxfp8 in hardware.*predicted at fp8/)]);
    const plain = await ultrasim(["serve", join(root, "examples/serve-llama3-70b-p5.yaml"), "--requests", "100", "--json"]);
    expect(JSON.parse(plain.stdout).assumptions).toEqual([]);
  });
  it.concurrent("train --model --system with no layout runs the planner's best and says so", async () => {
    const r = await ultrasim(["train", "--model", "llama3-8b", "--system", "dgx-h100", "--chips", "16", "--json"]);
    expectFinite(r);
    const report = JSON.parse(r.stdout);
    const assumptions = report.assumptions.join("\n");
    expect(assumptions).toMatch(/layout not given: the planner's fastest/);
    expect(assumptions).toMatch(/seqLen not given: 8192/);
    // Not the built-in scenario's interleaving under another model and system.
    expect(report.layout.vpp).not.toBe(7);
  });
  it.concurrent("some layout flags: the planner's fastest with those held, and says so", async () => {
    const r = await ultrasim(["train", "--model", "llama3-8b", "--system", "dgx-h100", "--chips", "16", "--tp", "8", "--json"]);
    expectFinite(r);
    const report = JSON.parse(r.stdout);
    expect(report.layout.tp).toBe(8);
    expect(report.layout.tp * report.layout.pp * report.layout.dp * report.layout.cp).toBe(16);
    expect(report.assumptions.join("\n")).toMatch(/layout not given in full: the planner's fastest with --tp as given/);
  });
  it.concurrent("some layout flags and --framework: the planner searches that framework's ZeRO stages", async () => {
    // Megatron-LM of 2021-22 has no ZeRO-2/3: the chosen layout must be one it can run.
    const args = ["train", "--model", "llama3-8b", "--system", "dgx-h100", "--chips", "16", "--tp", "2", "--framework", "megatron-lm"];
    const r = await ultrasim([...args, "--json"]);
    expectFinite(r);
    const report = JSON.parse(r.stdout);
    expect(report.layout.tp).toBe(2);
    expect([0, 1]).toContain(report.layout.zero);
  });
});

describe("a flag where it would do nothing is refused, or does what it asks", () => {
  const serveExample = () => join(root, "examples/serve-llama3-70b-p5.yaml");
  it.concurrent.each([
    [["--objective", "cost"], /^ultrasim: --objective: searches deployments: use it with ultrasim serve plan/],
    [["--pps", "1,2"], /^ultrasim: --pps: searches deployments/],
    [["--systems", "dgx-h100"], /^ultrasim: --systems: searches deployments/],
    [["--max-chips", "8"], /^ultrasim: --max-chips: searches deployments/],
  ])("serve with the plan's %s", async (flags, pattern) => {
    expectOneLine(await ultrasim(["serve", serveExample(), ...flags!]), pattern);
  });
  it.concurrent("serve with two scenarios (the second was ignored)", async () => {
    expectOneLine(await ultrasim(["serve", serveExample(), serveExample()]), /^ultrasim: scenario: one scenario at a time/);
  });
  it.concurrent("serve plan with --trace (a trace of one simulated deployment)", async () => {
    expectOneLine(
      await ultrasim(["serve", "plan", serveExample(), "--trace", "t.json"]),
      /^ultrasim: --trace: traces one simulated deployment/,
    );
    expect(existsSync(join(dir, "t.json"))).toBe(false);
  });
  it.concurrent("a request trace with --requests, --rate, --arrivals or --concurrency, or beside traffic fields in its file", async () => {
    const trace = write("requests.csv", "arrival_time,input_tokens,output_tokens\n0,100,10\n0.5,200,20\n1,300,30\n");
    for (const flag of [
      ["--requests", "2"],
      ["--rate", "3"],
      ["--arrivals", "constant"],
      ["--concurrency", "4"],
    ])
      expectOneLine(
        await ultrasim(["serve", serveExample(), "--request-trace", trace, ...flag]),
        new RegExp(`^ultrasim: ${flag[0]}: the request trace sets the requests`),
      );
    const scenario = example("serve-llama3-70b-p5.yaml").replace(/^traffic:\n/m, "traffic:\n  trace: requests.csv\n");
    expect(scenario).toContain("trace: requests.csv");
    const r = await ultrasim(["serve", write("traced.yaml", scenario)]);
    expectOneLine(r, /traced\.yaml:\d+: traffic\.\w+: not with traffic\.trace/);
    // The trace alone runs, and runs its own requests.
    const alone = await ultrasim(["serve", serveExample(), "--request-trace", trace, "--json"]);
    expectFinite(alone);
    expect(JSON.parse(alone.stdout).requests.completed).toBe(3);
  });
  it.concurrent("train with a checkpoint or failure setting reports the reliability it changes", async () => {
    const plain = JSON.parse((await ultrasim(["train", "--json"])).stdout);
    expect(plain.reliability).toBeNull();
    const r = await ultrasim(["train", "--checkpoint", "async", "--json"]);
    expectFinite(r);
    expect(JSON.parse(r.stdout).reliability.checkpointMode).toBe("async");
  });
});

describe("the nullable layout flags and --recompute-layers", () => {
  const layout = ["train", "--model", "llama3-8b", "--system", "dgx-h100", "--chips", "16", "--tp", "2", "--pp", "2", "--dp", "4"];
  it.concurrent("--vpp null and --recompute null are a file's nulls (no interleaving; the least recomputation that fits)", async () => {
    const r = await ultrasim([...layout, "--vpp", "null", "--recompute", "null", "--json"]);
    expectFinite(r);
    const report = JSON.parse(r.stdout);
    expect(report.layout.vpp).toBe(1);
    expect(report.assumptions.join("\n")).toMatch(/recompute not given: \w+, the least recomputation that fits/);
  });
  it.concurrent("--recompute-layers: that many layers of each stage recomputed, and only under full recompute", async () => {
    const r = await ultrasim([...layout, "--recompute", "full", "--recompute-layers", "4", "--json"]);
    expectFinite(r);
    // 4 of the 16 layers of each of the 2 stages.
    expect(JSON.parse(r.stdout).layout.recomputeFraction).toBe(0.25);
    expectOneLine(
      await ultrasim([...layout, "--recompute", "selective", "--recompute-layers", "4"]),
      /^ultrasim: --recompute-layers: recomputeLayers 4 applies to full recompute only/,
    );
  });
});

describe("serving layouts no engine can run are reported, not simulated", () => {
  const h100 = () => example("serve-llama3-70b-p5.yaml");
  it.concurrent("a GPU engine's tp must divide the heads (Llama 3.3 70B has 64): tp 3 cannot serve, and says why", async () => {
    const r = await ultrasim(["serve", write("tp3.yaml", h100().replace(/^(\s+)tp: \d+$/m, "$1tp: 3")), "--json"]);
    expectFinite(r);
    const report = JSON.parse(r.stdout);
    expect(report.feasible).toBe(false);
    expect(report.infeasibleReason).toMatch(/tp 3 does not divide the model's 64 attention heads/);
    expect(report.requests.completed).toBe(0);
  });
  it.concurrent("more pipeline stages than layers cannot serve", async () => {
    const r = await ultrasim(["serve", write("pp81.yaml", h100().replace(/^(\s+)tp: \d+$/m, "$1tp: 1\n$1pp: 81")), "--json"]);
    expectFinite(r);
    expect(JSON.parse(r.stdout).infeasibleReason).toMatch(/pp 81 is more pipeline stages than the model's 80 layers/);
  });
  it.concurrent.each([
    // 1% of an 80 GiB H100 is 0.86 GB, under the 4 GB the catalog reserves for the CUDA runtime.
    ["memoryUtilization: 0.01", /memoryUtilization 0\.01 of h100-sxm's 85\.9 GB is no more than the 4\.0 GB its runtime reserves/],
    // 0.9 x 85.9 - 4 = 73.3 GB usable, 36.3 GB of weights: room for a cache, but not one block of a million tokens.
    [
      "kvBlockTokens: 1000000",
      /one KV block of 1,000,000 tokens is more than the 35\.9 GB per chip left for the KV cache: lower kvBlockTokens/,
    ],
    // 0.4 x 85.9 - 4 = 30.4 GB usable: the 36.3 GB of weights do not fit.
    ["memoryUtilization: 0.4", /the weights \(36\.3 GB per chip\) .* leave no room for a KV cache in 30\.4 GB usable/],
  ])("%s: the reason names what is short", async (field, pattern) => {
    const r = await ultrasim([
      "serve",
      write(`kv-${field.replace(/\W/g, "")}.yaml`, h100().replace("  engine: vllm\n", `  engine: vllm\n  ${field}\n`)),
      "--json",
    ]);
    expectFinite(r);
    const report = JSON.parse(r.stdout);
    expect(report.feasible).toBe(false);
    expect(report.infeasibleReason).toMatch(pattern);
  });
  it.concurrent("an engine of the other runtime is refused, naming the flag and the engines that would run", async () => {
    expectOneLine(
      await ultrasim(["serve", join(root, "examples/serve-llama3-70b-p5.yaml"), "--engine", "vllm-neuron"]),
      /^ultrasim: --engine: vllm-neuron runs on AWS Neuron .* use vllm, trtllm, sglang$/,
    );
  });
});

describe("serving scenarios that leave things out say what was assumed, or what is missing", () => {
  const base = () => example("serve-llama3-70b-p5.yaml");
  it.concurrent("no request count and no arrivals: 1,000 requests, offline, both listed as assumptions", async () => {
    const text = base()
      .replace(/^\s+requests: .*\n/m, "")
      .replace(/^\s+arrival: .*\n/m, "");
    expect(text).not.toMatch(/requests:|arrival:/);
    const r = await ultrasim(["serve", write("bare-traffic.yaml", text), "--json"]);
    expectFinite(r);
    const report = JSON.parse(r.stdout);
    expect(report.assumptions).toEqual(
      expect.arrayContaining([
        "traffic.requests not given: 1,000 requests",
        "traffic.arrival not given: offline, every request queued at once",
      ]),
    );
    expect(report.requests.completed).toBe(1000);
  });
  it.concurrent("neither a deployment nor disaggregated pools; and serve plan on a disaggregated scenario", async () => {
    const dis = [
      "schemaVersion: 1",
      "model: llama3.1-8b",
      "disaggregated:",
      "  prefill: { system: dgx-h100, precision: bf16, tp: 1, replicas: 1, batching: { policy: continuous, maxBatch: 8 } }",
      "  decode: { system: dgx-h100, precision: bf16, tp: 1, replicas: 1, batching: { policy: continuous, maxBatch: 32 } }",
      "traffic: { requests: 20, arrival: { kind: offline }, inputTokens: 128, outputTokens: 16 }",
      "",
    ].join("\n");
    expectOneLine(
      await ultrasim(["serve", "plan", write("dis.yaml", dis)]),
      /dis\.yaml:3: disaggregated: serve plan searches colocated deployments/,
    );
    const neither = dis.replace(/disaggregated:\n.*\n.*\n/, "");
    expectOneLine(await ultrasim(["serve", write("neither.yaml", neither)]), /deployment: .*the scenario has neither/);
  });
});

describe("a serving scenario that names no engine runs one its chip can start", () => {
  const scenario = (system: string) =>
    write(
      `no-engine-${system}.yaml`,
      [
        "schemaVersion: 1",
        "model: llama3.1-8b",
        `deployment: { system: ${system}, precision: bf16, tp: 1, replicas: 1, batching: { policy: continuous, maxBatch: 8 } }`,
        "traffic: { requests: 16, arrival: { kind: offline }, inputTokens: 128, outputTokens: 16 }",
        "",
      ].join("\n"),
    );
  it.concurrent.each([
    ["trn2.48xlarge", "vllm-neuron", "trainium2"],
    ["dgx-h100", "vllm", "h100-sxm"],
  ])("%s: %s, listed as an assumption", async (system, engine, chip) => {
    const r = await ultrasim(["serve", scenario(system), "--json"]);
    expectFinite(r);
    const report = JSON.parse(r.stdout);
    expect(report.pools[0].engine).toBe(engine);
    expect(report.assumptions).toContain(`engine not given: ${engine} (the default on ${chip})`);
  });
  it.concurrent("the Neuron default runs static shapes: a compiled batch is accepted without naming the engine", async () => {
    const file = write(
      "no-engine-compiled.yaml",
      readFileSync(join(dir, scenario("trn2.48xlarge")), "utf8").replace("maxBatch: 8 }", "maxBatch: 8 }, compiledBatch: 8"),
    );
    const r = await ultrasim(["serve", file, "--json"]);
    expectFinite(r);
    expect(JSON.parse(r.stdout).pools[0].engine).toBe("vllm-neuron");
  });
});

describe("serve plan across runtimes runs each system on its own software, and says why a system has no row", () => {
  it.concurrent("a scenario naming vllm, planned on p5 and trn2: trn2 runs vllm-neuron, and a note says so", async () => {
    expect(example("serve-llama3-70b-p5.yaml")).toMatch(/engine: vllm\n/);
    const planArgs = ["serve", "plan", join(root, "examples/serve-llama3-70b-p5.yaml"), "--systems", "p5.48xlarge,trn2.48xlarge"];
    const searchArgs = ["--requests", "50", "--max-chips", "16"];
    const r = await ultrasim([...planArgs, ...searchArgs, "--json"]);
    expectFinite(r);
    const plan = JSON.parse(r.stdout);
    expect(plan.notes).toEqual(["trn2.48xlarge runs vllm-neuron: the scenario's vllm does not run on trainium2"]);
    const engines = (system: string) =>
      new Set(
        plan.candidates
          .filter((c: { pool: { system: string } }) => c.pool.system === system)
          .map((c: { pool: { engine: string } }) => c.pool.engine),
      );
    expect(engines("trn2.48xlarge")).toEqual(new Set(["vllm-neuron"]));
    expect(engines("p5.48xlarge")).toEqual(new Set(["vllm"]));
    expect(new Set(plan.candidates.map((c: { engine: string }) => c.engine))).toEqual(new Set(["vllm", "vllm-neuron"]));
    // The table gives the engine a column when the systems run different ones.
    const table = await ultrasim([...planArgs, ...searchArgs]);
    expect(table.stdout).toMatch(/│ system +│ engine +│ tp/);
    expect(table.stdout).toMatch(/│ p5\.48xlarge +│ vllm +│/);
    expect(table.stdout).toMatch(/^best \(most output tokens\/s per chip\): \S+ \((vllm|vllm-neuron)\), /m);
  });
  it.concurrent("a system where nothing can run (fp8 on an A100) is named with the reason, not left out silently", async () => {
    const r = await ultrasim([
      "serve",
      "plan",
      join(root, "examples/serve-llama3-70b-p5.yaml"),
      "--systems",
      "dgx-a100-80gb",
      "--requests",
      "50",
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/note: dgx-a100-80gb: no deployment could run: a100-80gb has no fp8 support/);
  });
});

describe("a price file", () => {
  const prices = (system: string) =>
    ["- id: mine", `  system: ${system}`, "  kind: on-demand", "  usdPerChipHour: 3", "  source: my contract", '  asOf: "2026"', ""].join(
      "\n",
    );
  it.concurrent("a price for a system the catalog lacks is refused with its line (it was never read)", async () => {
    expectOneLine(
      await ultrasim(["train", "--prices", write("typo-prices.yaml", prices("p5.48xlarg"))]),
      /^ultrasim: typo-prices\.yaml:2: 0\.system: unknown system 'p5\.48xlarg'\. Did you mean p5\.48xlarge/,
    );
  });
  it.concurrent("a price for a known system is the one used", async () => {
    const r = await ultrasim([
      "train",
      "--model",
      "llama3-8b",
      "--system",
      "p5.48xlarge",
      "--chips",
      "16",
      "--json",
      "--prices",
      write("good-prices.yaml", prices("p5.48xlarge")),
    ]);
    expectFinite(r);
    const cost = JSON.parse(r.stdout).cost;
    expect(cost.priceEntry).toBe("mine");
    expect(cost.usdPerChipHour.value).toBe(3);
  });
});

describe("output folders that cannot be made end with one line", () => {
  // Node 20's recursive mkdir never returns under /proc; the folder is made one level at a time.
  it.runIf(existsSync("/proc/self"))("schema --out under /proc", async () => {
    expectOneLine(
      await ultrasim(["schema", "--out", "/proc/ultrasim-x/y"], 10),
      /--out: cannot write into the folder: \/proc does not take new folders/,
    );
  });
  it.concurrent("schema --out through a file", async () => {
    write("a-file", "x");
    expectOneLine(
      await ultrasim(["schema", "--out", "a-file/schemas"], 10),
      /--out: cannot write into the folder: a part of the path is a file/,
    );
  });
  it.concurrent("schema --out makes missing parents", async () => {
    const r = await ultrasim(["schema", "--out", "made/two/levels"], 10);
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(join(dir, "made/two/levels/catalog.json"))).toBe(true);
  });
});

describe("expert tensor parallelism on a dense model", () => {
  it.concurrent("is refused like ep, naming the flag (it was ignored, with a fractional expert data-parallel degree)", async () => {
    const args = ["train", "--model", "llama3-8b", "--system", "dgx-h100", "--chips", "16", "--tp", "2", "--pp", "1", "--dp", "8"];
    expectOneLine(await ultrasim([...args, "--etp", "1000"]), /^ultrasim: --etp: etp is 1000 but the model has no experts/);
    expectFinite(await ultrasim([...args, "--etp", "2"]));
  });
});

describe("a model whose fields do not fit together", () => {
  const model = (over: string) =>
    [
      "schemaVersion: 1",
      "model:",
      "  name: Odd",
      "  layers: 32",
      "  hidden: 4096",
      "  heads: 32",
      "  kvHeads: 8",
      "  headDim: null",
      "  ffnHidden: 14336",
      "  ffnKind: swiglu",
      "  vocab: 128256",
      "  tiedEmbeddings: false",
      "  moe: null",
      "  mla: null",
      "  slidingWindow: null",
      "system: {id: dgx-h100, chips: 8}",
      "run: {seqLen: 4096, globalBatch: 64, microBatch: 1, precision: bf16}",
      "parallelism: {tp: 1, pp: 1, dp: 8, cp: 1, ep: 1, etp: null, vpp: null, sequenceParallel: false, zero: 1, recompute: null}",
      "",
    ]
      .join("\n")
      .replace(new RegExp(`^  ${over.split(":")[0]}: .*$`, "m"), `  ${over}`);
  it.concurrent.each([
    ["kvHeads: 64", /odd-kv\.yaml:7: model\.kvHeads: 64 key-value heads do not divide the 32 query heads/],
    [
      "moe: {experts: 4, topK: 8, expertFfnHidden: 1024, sharedExperts: 0, sharedExpertFfnHidden: null, denseLayers: 0}",
      /odd-moe\.yaml:13: model\.moe\.topK: top-8 routing needs at least 8 experts, not 4/,
    ],
    [
      "moe: {experts: 8, topK: 2, expertFfnHidden: 1024, sharedExperts: 0, sharedExpertFfnHidden: null, denseLayers: 40}",
      /odd-dense\.yaml:13: model\.moe\.denseLayers: 40 dense layers are more than the model's 32 layers/,
    ],
  ])("%s: train and plan refuse it, naming the file, line and field", async (over, pattern) => {
    const name = `odd-${over.startsWith("kv") ? "kv" : over.includes("denseLayers: 40") ? "dense" : "moe"}.yaml`;
    const file = write(name, model(over));
    expectOneLine(await ultrasim(["train", file]), pattern);
    expectOneLine(await ultrasim(["plan", file]), pattern);
  });
});
