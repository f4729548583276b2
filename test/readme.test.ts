// Every example in README.md runs: each `npx ultrasim ...` line of its fenced shell blocks (through the
// built CLI, node dist/src/cli/main.js), each `$ npx ultrasim ...` transcript (its output compared), and
// each TypeScript library example (compiled, importing dist/src/index.js). Each must exit 0 and print
// what the README says it prints: labels and units, and figures from the calibration within a tolerance.
//
// Commands run in a scratch directory laid out like the repository (examples/ and ../shared/ linked),
// so what they write (step.json, schema/, results/) never lands in the tree. `a ... b` in the README
// means "the block's first `a` command with b added"; `> file` is captured, not written; `web` serves
// on a free port (--port 0) and is stopped once it prints its address; `--shard auto` gets a one-shard
// array's environment.
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import ts from "typescript";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLI, REPO } from "./cliHelpers.js";

const README = readFileSync(join(REPO, "README.md"), "utf8");

interface Block {
  lang: string;
  body: string;
  line: number;
}

function fencedBlocks(markdown: string): Block[] {
  const blocks: Block[] = [];
  const re = /^```(\w*)\n([\s\S]*?)^```/gm;
  for (let m = re.exec(markdown); m; m = re.exec(markdown))
    blocks.push({ lang: m[1]!, body: m[2]!, line: markdown.slice(0, m.index).split("\n").length });
  return blocks;
}

/** Shell words: spaces split, double or single quotes group. */
function shellWords(text: string): string[] {
  const words: string[] = [];
  const re = /"([^"]*)"|'([^']*)'|(\S+)/g;
  for (let m = re.exec(text); m; m = re.exec(text)) words.push(m[1] ?? m[2] ?? m[3]!);
  return words;
}

/** The line without its trailing `# comment` (a # outside quotes, after a space). */
function withoutComment(line: string): string {
  let quote: string | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote) {
      if (c === quote) quote = null;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === "#" && (i === 0 || /\s/.test(line[i - 1]!))) return line.slice(0, i).trimEnd();
  }
  return line.trimEnd();
}

/** `args` without the flags `flags` (and the value after each, where one follows). */
function withoutFlags(args: string[], flags: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (!flags.includes(args[i]!)) out.push(args[i]!);
    else if (args[i + 1] !== undefined && !args[i + 1]!.startsWith("--")) i++;
  }
  return out;
}

interface Command {
  /** As the README writes it (continuations joined, comment dropped). */
  text: string;
  args: string[];
  /** `> file`: stdout is captured, not written. */
  redirect: string | null;
  block: number;
}

/** The `npx ultrasim` commands of the shell blocks, `...` expanded. */
function readmeCommands(blocks: Block[]): Command[] {
  const commands: Command[] = [];
  blocks.forEach((block, b) => {
    if (block.lang !== "sh") return;
    const lines = block.body
      .replace(/\\\n\s*/g, " ")
      .split("\n")
      .map(withoutComment);
    const firstOf = new Map<string, string[]>();
    for (const line of lines) {
      if (!line.startsWith("npx ultrasim ")) continue;
      let words = shellWords(line).slice(2);
      let redirect: string | null = null;
      const gt = words.indexOf(">");
      if (gt >= 0) [redirect, words] = [words[gt + 1]!, words.slice(0, gt)];
      const dots = words.indexOf("...");
      // The command's name: its first word, or two for a subcommand (serve plan, sweep run).
      const head = words
        .slice(0, dots >= 0 ? dots : words.length)
        .filter((w) => !w.startsWith("-") && !w.includes("/") && !w.includes("."));
      const key = head.slice(0, 2).join(" ");
      if (dots >= 0) {
        const base = firstOf.get(key) ?? firstOf.get(head[0]!);
        if (!base) throw new Error(`README.md: '${line}' abbreviates a command the block has not shown`);
        const added = words.slice(dots + 1);
        words = [
          ...withoutFlags(
            base,
            added.filter((w) => w.startsWith("--")),
          ),
          ...added,
        ];
      } else {
        if (!firstOf.has(key)) firstOf.set(key, words);
        if (!firstOf.has(head[0]!)) firstOf.set(head[0]!, words);
      }
      commands.push({ text: line, args: words, redirect, block: b });
    }
  });
  return commands;
}

interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(args: string[], cwd: string, env: Record<string, string> = {}, until?: RegExp): Promise<Outcome> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
      if (until?.test(stdout)) child.kill("SIGTERM");
    });
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("close", (code, signal) => resolve({ code: until && signal === "SIGTERM" && until.test(stdout) ? 0 : code, stdout, stderr }));
  });
}

/** What each command prints, by the README's own words; a command not listed must exit 0 and print something. */
const EXPECT: { match: RegExp; check: (o: Outcome, cwd: string) => void }[] = [
  {
    match: /^train$/,
    check: (o) => {
      // "prints the step time; tokens/s in total and per chip; MFU and HFU; the step-time breakdown ...; memory per chip"
      for (const label of [
        /step time/,
        /tokens\/s .* total · .* per chip/,
        /MFU \/ HFU/,
        /compute/,
        /tensor-parallel comm/,
        /context-parallel comm/,
        /expert-parallel comm/,
        /data-parallel comm/,
        /pipeline sends/,
        /pipeline bubble/,
        /optimizer/,
        /memory per chip/,
        /weights/,
        /gradients/,
        /optimizer states/,
        /activations/,
        /communication buffers/,
        /runtime/,
        /of capacity/,
        / s\b/,
        / GB\b/,
      ])
        expect(o.stdout).toMatch(label);
    },
  },
  {
    match: /^serve$/,
    check: (o) => {
      // "the built-in default: Llama 3.3 70B on one Trn3 UltraServer"
      expect(o.stdout).toMatch(/^Llama 3\.3 70B on one Trn3 UltraServer: .*144 chips/m);
      expect(o.stdout).toMatch(/^assumed: no scenario given: the built-in default/m);
    },
  },
  { match: /--tp 4 --pp 9 --dp 32 --vpp 7 --global-batch/, check: (o) => expect(o.stdout).toMatch(/^fits: [\d.]+ GB free of [\d.]+ GB/m) },
  { match: /^train .*--json$/, check: (o) => expect((JSON.parse(o.stdout) as { stepSeconds: number }).stepSeconds).toBeGreaterThan(0) },
  {
    match: /^train --trace step\.json$/,
    check: (o, cwd) => {
      expect(o.stdout).toContain("trace written to step.json");
      expect((JSON.parse(readFileSync(join(cwd, "step.json"), "utf8")) as { traceEvents: unknown[] }).traceEvents.length).toBeGreaterThan(
        0,
      );
    },
  },
  { match: /^validate .*training\.json$/, check: (o) => expect(o.stdout).toMatch(/median/) },
  { match: /^catalog systems$/, check: (o) => expect(o.stdout).toContain("trn3-ultraserver") },
  {
    match: /^schema --out schema$/,
    check: (o, cwd) => {
      expect(o.stdout).toMatch(/^wrote \d+ schemas to schema\//);
      expect(existsSync(join(cwd, "schema", "training-scenario.json"))).toBe(true);
    },
  },
  {
    match: /^plan --model llama3.1-405b .*--precision mxfp8$/,
    check: (o) => {
      expect(o.stdout).toMatch(/searched \d+ layouts/);
      expect(o.stdout).toMatch(/^in [\d.]+ s: \d+ layouts per second$/m);
      expect(o.stdout).toMatch(/runner-up .* loses/);
      expect(o.stdout).toMatch(/dominant cost/);
    },
  },
  { match: /^plan .* --top 10 --json$/, check: (o) => expect((JSON.parse(o.stdout) as { plans: unknown[] }).plans).toHaveLength(10) },
  { match: /^plan .*--chips 1152\.\.73728$/, check: (o) => expect(o.stdout).toMatch(/73728/) },
  { match: /^plan .*--objective time-to-train/, check: (o) => expect(o.stdout).toMatch(/searched \d+ layouts/) },
  { match: /^sweep plan/, check: (o) => expect(o.stdout).toMatch(/\d+ points.*\n.*\n[\s\S]*estimated time/) },
  {
    match: /^sweep run examples\/sweep\/capacity\.yaml --out results\/$/,
    check: (o) => expect(o.stdout).toContain("results: results/sweep.parquet"),
  },
  { match: /^sweep query/, check: (o) => expect(o.stdout).toMatch(/min\(stepSeconds\)[\s\S]*\d+ rows/) },
  { match: /^sweep status/, check: (o) => expect(o.stdout).toMatch(/done: 1 of 1/) },
  { match: /^sweep merge/, check: (o) => expect(o.stdout).toMatch(/^merged 1 shard: \d+ points -> /) },
  { match: /^sweep run examples\/sweep\/what-if\.yaml/, check: (o) => expect(o.stdout).toMatch(/2 points in/) },
  { match: /^web$/, check: (o) => expect(o.stdout).toMatch(/ultrasim web app: http:\/\/127\.0\.0\.1:\d+\//) },
  {
    match: /^train --grid-gco2-per-kwh 400 --price-per-chip-hour 3$/,
    check: (o) => {
      for (const label of [/energy per step/, /kWh/, /per 1M tokens/, /CO2/, /\$/]) expect(o.stdout).toMatch(label);
    },
  },
  {
    match: /--reliability --tokens 15T$/,
    check: (o) => expect(o.stdout).toMatch(/goodput, closed form[\s\S]*goodput, Monte Carlo[\s\S]*effective time to train/),
  },
  {
    match: /^reliability /,
    check: (o) => expect(o.stdout).toMatch(/best interval[\s\S]*goodput \(closed form\)[\s\S]*goodput \(Monte Carlo\)/),
  },
  { match: /^scale /, check: (o) => expect(o.stdout).toMatch(/tokens\/s[\s\S]*MFU/) },
  { match: /^claims --md$/, check: (o) => expect(o.stdout).toMatch(/^# /) },
  { match: /^compare /, check: (o) => expect(o.stdout).toMatch(/\$\/1M tok[\s\S]*trn3-ultraserver \(baseline\)/) },
  { match: /^hetero /, check: (o) => expect(o.stdout).toMatch(/NVLink Fusion domain[\s\S]*tokens\/s per kW/) },
  {
    match: /^serve examples\/serve-llama3-70b-p5\.yaml$/,
    check: (o) => {
      // "prints TTFT, TPOT and end-to-end latency (mean, p50, p90, p99), output and total tokens/s, the capacity
      // ..., goodput under the SLO, occupancy, and the energy and cost table"
      for (const label of [
        /time to first token/,
        /time per output token/,
        /end to end/,
        /mean .* p50 .* p90 .* p99/,
        /output tokens\/s/,
        /total tokens\/s/,
        /capacity \(this request mix\)/,
        /goodput/,
        /mean running batch/,
        /mean KV cache in use/,
        /energy per output token .* J/,
        /cost per 1M output tokens .* \$/,
      ])
        expect(o.stdout).toMatch(label);
    },
  },
  {
    match: /^serve .*--json --trace serve\.json/,
    check: (o, cwd) => {
      expect((JSON.parse(o.stdout) as { slo: object }).slo).toEqual({ ttftSeconds: 2, tpotSeconds: 0.1 });
      expect(existsSync(join(cwd, "serve.json"))).toBe(true);
    },
  },
  {
    match: /^serve plan .*--emit trtllm --emit-dir launch/,
    check: (o, cwd) => {
      expect(existsSync(join(cwd, "launch", "extra-llm-api-config.yml"))).toBe(true);
      expect(o.stdout).toMatch(/^trtllm-serve \S+ \\$/m);
    },
  },
  { match: /^serve plan .*--objective cost/, check: (o) => expect(o.stdout).toMatch(/\$\/1M out[\s\S]*met/) },
  { match: /^serve plan /, check: (o) => expect(o.stdout).toMatch(/SLO[\s\S]*met/) },
  {
    match: /^validate .*inference\.json$/,
    check: (o) => expect(o.stdout).toMatch(/inference case[\s\S]*measured[\s\S]*predicted[\s\S]*tok\/s/),
  },
];

// A scenario whose line 12 is the bad value of the README's transcript.
const BAD_YAML = [
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
  "  tp: 1.5",
  "  pp: 2",
  "  dp: 4",
  "  cp: 1",
  "  ep: 1",
  "  etp: null",
  "  vpp: 1",
  "  sequenceParallel: true",
  "  zero: 1",
  "  recompute: selective",
].join("\n");

const blocks = fencedBlocks(README);
const commands = readmeCommands(blocks);
let root: string;
let cwd: string;
const outcomes = new Map<Command, Promise<Outcome>>();

function envFor(c: Command): Record<string, string> {
  return c.args.includes("--shard") ? { JOB_COMPLETION_INDEX: "0", ULTRASIM_SHARD_COUNT: "1" } : {};
}

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), "ultrasim-readme-"));
  cwd = join(root, "ultrasim");
  mkdirSync(cwd);
  symlinkSync(join(REPO, "examples"), join(cwd, "examples"));
  symlinkSync(join(REPO, "..", "shared"), join(root, "shared"));
  writeFileSync(join(cwd, "bad.yaml"), BAD_YAML + "\n");
  // Two at a time (the machine's cores); a block's commands in order, as a reader runs them.
  const byBlock = new Map<number, Command[]>();
  for (const c of commands) byBlock.set(c.block, [...(byBlock.get(c.block) ?? []), c]);
  const queues = [...byBlock.values()];
  const next = () => queues.shift();
  const worker = async () => {
    for (let q = next(); q; q = next())
      for (const c of q) {
        const args = c.args[0] === "web" ? [...c.args, "--port", "0"] : c.args;
        const outcome = run(args, cwd, envFor(c), c.args[0] === "web" ? /http:\/\/\S+\// : undefined);
        outcomes.set(c, outcome);
        await outcome;
      }
  };
  // Start both workers now; each test awaits its own command.
  void Promise.all([worker(), worker()]);
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function outcomeOf(c: Command): Promise<Outcome> {
  while (!outcomes.has(c)) await new Promise((r) => setTimeout(r, 50));
  return outcomes.get(c)!;
}

describe("README.md", () => {
  it("has the commands and examples this test runs", () => {
    expect(commands.length).toBeGreaterThan(30);
    expect(blocks.filter((b) => b.lang === "ts")).toHaveLength(1);
  });

  for (const c of commands)
    it(`npx ultrasim ${c.args.join(" ")}`, { timeout: 150_000 }, async () => {
      const o = await outcomeOf(c);
      expect(o.code, `${c.text}\n${o.stderr}`).toBe(0);
      expect(o.stdout.length).toBeGreaterThan(0);
      expect(o.stderr).not.toMatch(/\n\s+at |node:internal/);
      const command = c.args.join(" ");
      // A training example fits in memory: the README remarks on any layout that does not.
      if (c.args[0] === "train" && !c.args.includes("--json"))
        expect(o.stdout, "a README train example that does not fit").toMatch(/^fits: /m);
      const expected = EXPECT.find((e) => e.match.test(command));
      expected?.check(o, cwd);
    });

  it("the serving example's figures are the ones the README quotes (within 15%)", { timeout: 60_000 }, async () => {
    // "(for the example: 43 ms TPOT, 8.4 k output tok/s, a load of 79% of its 25.6 req/s capacity, 0.95 J and $1.82
    // per 1M output tokens at p5 on-demand)"
    const quoted =
      /for the example: ([\d.]+) ms TPOT, ([\d.]+) k output tok\/s, a load of (\d+)% of its ([\d.]+) req\/s capacity, ([\d.]+) J and \$([\d.]+)/.exec(
        README.replace(/\s+/g, " "),
      );
    expect(quoted, "the README's serving figures").not.toBeNull();
    const [tpotMs, ktoks, load, capacity, joules, usd] = quoted!.slice(1).map(Number) as number[];
    const o = await run(["serve", "examples/serve-llama3-70b-p5.yaml", "--json"], cwd);
    const r = JSON.parse(o.stdout) as {
      latency: { tpotSeconds: { mean: number; p50: number } };
      throughput: { outputTokensPerSecond: number };
      capacity: { requestsPerSecond: number; utilization: number };
      operations: { joulesPerOutputToken: { value: number }; usdPerMillionOutputTokens: { value: number } };
    };
    const near = (actual: number, quotedValue: number) => expect(Math.abs(actual / quotedValue - 1)).toBeLessThan(0.15);
    near(r.latency.tpotSeconds.mean * 1e3, tpotMs!);
    near(r.throughput.outputTokensPerSecond / 1e3, ktoks!);
    near(r.capacity.utilization * 100, load!);
    near(r.capacity.requestsPerSecond, capacity!);
    near(r.operations.joulesPerOutputToken.value, joules!);
    near(r.operations.usdPerMillionOutputTokens.value, usd!);
  });

  it("each transcript ($ npx ultrasim ...) prints what it shows", { timeout: 60_000 }, async () => {
    const transcripts = blocks.filter((b) => b.lang === "" && b.body.startsWith("$ npx ultrasim "));
    expect(transcripts.length).toBeGreaterThan(0);
    for (const t of transcripts) {
      const [command, ...shown] = t.body.trimEnd().split("\n");
      const o = await run(shellWords(command!.slice(2)).slice(2), cwd);
      expect((o.stdout + o.stderr).trimEnd()).toBe(shown.join("\n"));
      expect(o.code).toBe(2);
    }
  });

  it("each TypeScript library example compiles and runs against the built package", { timeout: 60_000 }, async () => {
    const index = pathToFileURL(join(REPO, "dist/src/index.js")).href;
    for (const [i, block] of blocks.filter((b) => b.lang === "ts").entries()) {
      const js = ts.transpileModule(block.body.replaceAll('from "ultrasim"', `from "${index}"`), {
        compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
      }).outputText;
      const file = join(root, `example-${i}.mjs`);
      writeFileSync(file, js);
      const o = await new Promise<Outcome>((resolve) => {
        const child = spawn(process.execPath, [file], { cwd, stdio: ["ignore", "pipe", "pipe"] });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
        child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
        child.on("close", (code) => resolve({ code, stdout, stderr }));
      });
      expect(o.code, `README.md:${block.line}: ${o.stderr}`).toBe(0);
      // "console.log(stepSeconds, mfu, memory.fits) // seconds, a fraction, true"
      const [step, mfu, fits] = o.stdout.trim().split(" ");
      expect(Number(step)).toBeGreaterThan(0);
      expect(Number(mfu)).toBeGreaterThan(0);
      expect(Number(mfu)).toBeLessThan(1);
      expect(fits).toBe("true");
    }
  });
});
