// Seeded fuzzing of everything ultrasim reads: training and serving scenarios, user catalogs, sweep
// specs and validation cases, each mutated field by field with hostile values (NaN, Infinity, 1e308,
// 2^64, negatives, zero, fractions, wrong types, unknown fields), plus random documents, random text,
// deep nesting and alias bombs. Each input goes through the same functions the CLI calls (file ->
// schema -> engine) and must end within its time bound either with a finite result or with one
// UltrasimError whose line names the file, the line and the field. test/hostileInput.test.ts runs the
// issue's own inputs through the real CLI.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { parse, stringify } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { builtinCatalog } from "../src/engine/catalog/builtin.js";
import { UltrasimError } from "../src/engine/errors.js";
import { trainingReport } from "../src/engine/report/trainingReport.js";
import { predictServing } from "../src/engine/serve/serve.js";
import { predictScenario } from "../src/engine/train.js";
import { validateCases } from "../src/engine/validate/validation.js";
import { locate, type LoadedDocument } from "../src/node/loadInput.js";
import { loadServingScenario } from "../src/node/servingScenario.js";
import { loadSweep } from "../src/node/sweep/loadSweep.js";
import { loadTrainingScenario } from "../src/node/trainingScenario.js";
import { readCatalogEntries } from "../src/node/userCatalog.js";
import { readValidationFiles } from "../src/node/validationFiles.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const casesPath = fileURLToPath(new URL("../../shared/validation/training.json", import.meta.url));
// FUZZ_SEED=n runs another seed (a failure prints its seed and path to replay it).
const SEED = Number(process.env.FUZZ_SEED ?? 20261204);
let dir: string;
let fileCount = 0;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "ultrasim-fuzz-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** A fresh file holding `text`. */
function writeInput(text: string, ext = "yaml"): string {
  const file = join(dir, `input-${++fileCount}.${ext}`);
  writeFileSync(file, text);
  return file;
}

/** The first number in `value` that is NaN or ±Infinity, by path; undefined where all are finite. */
function nonFinite(value: unknown, path = "", seen = new Set<unknown>()): string | undefined {
  if (typeof value === "number") return Number.isFinite(value) ? undefined : `${path || "(root)"} = ${value}`;
  if (typeof value !== "object" || value === null || seen.has(value)) return undefined;
  seen.add(value);
  for (const [k, v] of Object.entries(value)) {
    if (typeof v === "function") continue;
    const found = nonFinite(v, path ? `${path}.${k}` : k, seen);
    if (found) return found;
  }
  return undefined;
}

/**
 * Run one input: `run` reads `file` and computes. It must end within `seconds`, and either return a
 * result with no NaN or Infinity, or throw an UltrasimError whose one line names the file, a line
 * and a field.
 */
function expectBounded(file: string, seconds: number, run: () => unknown): void {
  const started = performance.now();
  let result: unknown;
  try {
    result = run();
  } catch (e) {
    if (!(e instanceof UltrasimError)) throw new Error(`not a user error for ${readFileSync(file, "utf8").slice(0, 400)}: ${String(e)}`);
    const line = e.describe();
    expect(line).not.toContain("\n");
    expect(line.startsWith(file), line).toBe(true);
    // A file that parses names a line; a field wherever one exists (a whole-file error has none).
    if (e.code !== "FILE_ERROR") expect(line, line).toMatch(/^[^:]+:\d+: /);
    if (e.code === "INVALID_INPUT" && e.where.field === undefined) expect(line).toMatch(/holds|cases|mapping|unknown field ""/);
    return;
  } finally {
    expect((performance.now() - started) / 1000, readFileSync(file, "utf8").slice(0, 400)).toBeLessThan(seconds);
  }
  expect(nonFinite(result), readFileSync(file, "utf8").slice(0, 400)).toBeUndefined();
}

/** Values no field should accept quietly, and ordinary ones that most should. */
const hostile: fc.Arbitrary<Json> = fc.oneof(
  fc.constantFrom<Json>(0, -1, -0.5, 0.5, 1.5, 1e308, 2 ** 64, 1e7 + 1, 1e15, "", "x", "1e308", null, true, [], {}),
  fc.constantFrom(NaN, Infinity, -Infinity) as fc.Arbitrary<Json>,
  fc.integer({ min: -4, max: 300 }),
  fc.double({ min: -1e6, max: 1e6, noNaN: true }),
  fc.double() as fc.Arbitrary<Json>,
);

/** Every path to a leaf (or an empty container) of `value`. */
function leafPaths(value: Json, prefix: (string | number)[] = []): (string | number)[][] {
  if (typeof value !== "object" || value === null) return [prefix];
  const entries: [string | number, Json][] = Array.isArray(value) ? value.map((v, i) => [i, v]) : Object.entries(value);
  if (!entries.length) return [prefix];
  return [prefix, ...entries.flatMap(([k, v]) => leafPaths(v, [...prefix, k]))];
}

type Mutation =
  | { kind: "set"; path: (string | number)[]; value: Json }
  | { kind: "delete"; path: (string | number)[] }
  | { kind: "typo"; path: (string | number)[] };

function mutations(base: Json): fc.Arbitrary<Mutation[]> {
  const paths = leafPaths(base).filter((p) => p.length > 0);
  const path = fc.constantFrom(...paths);
  return fc.array(
    fc.oneof(
      { weight: 6, arbitrary: fc.record({ kind: fc.constant("set" as const), path, value: hostile }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant("delete" as const), path }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant("typo" as const), path }) },
    ),
    { minLength: 1, maxLength: 3 },
  );
}

function apply(base: Json, changes: Mutation[]): Json {
  const doc = structuredClone(base) as Record<string | number, Json>;
  for (const m of changes) {
    let node: Record<string | number, Json> = doc;
    for (const key of m.path.slice(0, -1)) {
      const next = node[key];
      if (typeof next !== "object" || next === null) break;
      node = next as Record<string | number, Json>;
    }
    const last = m.path[m.path.length - 1]!;
    if (m.kind === "set") node[last] = m.value;
    else if (m.kind === "delete") delete node[last];
    else if (last in node && typeof last === "string") {
      node[last.toLowerCase() === last ? `${last}s` : last.toLowerCase()] = node[last]!;
      delete node[last];
    }
  }
  return doc;
}

/** YAML keeps NaN and Infinity (.nan, .inf), which JSON cannot. */
const asYaml = (value: Json) => stringify(value, { aliasDuplicateObjects: false });

const readYaml = (file: string) => parse(readFileSync(join(root, file), "utf8")) as Json;

/** What `ultrasim train FILE` does: load, predict, report, locating engine errors in the file. */
function train(file: string) {
  const { scenario, loaded } = loadTrainingScenario(file, {});
  const catalog = builtinCatalog();
  return located(loaded, () => trainingReport(predictScenario(scenario, catalog)));
}

function located<T>(loaded: LoadedDocument | undefined, run: () => T): T {
  try {
    return run();
  } catch (e) {
    if (e instanceof UltrasimError && loaded && !e.where.field?.startsWith("--")) locate(e, loaded);
    throw e;
  }
}

describe("fuzz: every input ends within its bound, finite or one located line", () => {
  it("training scenarios", () => {
    const base = readYaml("examples/llama3-70b-dgx-h100.yaml");
    fc.assert(
      fc.property(mutations(base), (changes) => {
        const file = writeInput(asYaml(apply(base, changes)));
        expectBounded(file, 10, () => train(file));
      }),
      { seed: SEED, numRuns: 200 },
    );
  });

  it("serving scenarios", () => {
    const base = readYaml("examples/serve-llama3-70b-p5.yaml") as { traffic: { requests: number } };
    base.traffic.requests = 200;
    fc.assert(
      fc.property(mutations(base), (changes) => {
        const file = writeInput(asYaml(apply(base, changes)));
        expectBounded(file, 15, () => {
          const { scenario, loaded, requests } = loadServingScenario(file);
          return located(loaded, () => predictServing(scenario, builtinCatalog(), { requests, capacity: true }).report);
        });
      }),
      { seed: SEED, numRuns: 150 },
    );
  });

  it("user catalogs", () => {
    const chips = JSON.parse(readFileSync(join(root, "data/chips.json"), "utf8")) as { id: string }[];
    const systems = JSON.parse(readFileSync(join(root, "data/systems.json"), "utf8")) as { id: string }[];
    const chip = { ...structuredClone(chips.find((c) => c.id === "h100-sxm")!), id: "fuzz-chip" };
    const system = { ...structuredClone(systems.find((s) => s.id === "dgx-h100")!), id: "fuzz-system", chip: "fuzz-chip" };
    const base = { chips: [chip], systems: [system] } as Json;
    fc.assert(
      fc.property(mutations(base), (changes) => {
        const file = writeInput(asYaml(apply(base, changes)));
        expectBounded(file, 10, () => {
          const { catalog } = readCatalogEntries([file]);
          // The flags' own errors (the system renamed away) name the flag, as they should.
          try {
            const s = loadTrainingScenario(undefined, {
              model: "llama3-8b",
              system: "fuzz-system",
              chips: "8",
              tp: "8",
              pp: "1",
              dp: "1",
              cp: "1",
              vpp: "1",
            });
            return trainingReport(predictScenario(s.scenario, catalog));
          } catch (e) {
            if (e instanceof UltrasimError && e.where.file === undefined) return e.describe().startsWith("--") ? null : e.describe();
            throw e;
          }
        });
      }),
      { seed: SEED, numRuns: 200 },
    );
  });

  it("sweep specs", () => {
    const base = readYaml("examples/sweep/train-grid.yaml");
    fc.assert(
      fc.property(mutations(base), (changes) => {
        const file = writeInput(asYaml(apply(base, changes)));
        expectBounded(file, 10, () => {
          const loaded = loadSweep(file);
          return { points: loaded.points.productIndices.length };
        });
      }),
      { seed: SEED, numRuns: 150 },
    );
  });

  it("validation cases", () => {
    const cases = (JSON.parse(readFileSync(casesPath, "utf8")) as Json[]).slice(0, 2);
    fc.assert(
      fc.property(mutations(cases), (changes) => {
        const file = writeInput(asYaml(apply(cases, changes)));
        expectBounded(file, 10, () => {
          const input = readValidationFiles([file]);
          const report = validateCases(input.training, builtinCatalog(), input.frameworkOf);
          // A case that fails is a failed result with a reason, not a NaN error.
          return report.cases.map((c) => ({ predicted: c.predicted, errorPct: c.errorPct, failure: c.failure ?? null }));
        });
      }),
      { seed: SEED, numRuns: 100 },
    );
  });

  it("random documents, random text, deep nesting and alias bombs", () => {
    const anyDocument = fc.oneof(
      fc.jsonValue().map((v) => asYaml(v as Json)),
      fc.string({ maxLength: 200 }),
      fc.integer({ min: 1, max: 5000 }).map((n) => "[".repeat(n) + "]".repeat(n)),
      fc.integer({ min: 1, max: 200 }).map((n) => Array.from({ length: n }, (_, i) => `${" ".repeat(i)}k${i}:`).join("\n") + " 1"),
      fc.integer({ min: 2, max: 9 }).map((depth) => {
        const rows = ["l0: &l0 [a, a, a, a, a, a, a, a, a]"];
        for (let i = 1; i <= depth; i++)
          rows.push(
            `l${i}: &l${i} [${Array(9)
              .fill(`*l${i - 1}`)
              .join(", ")}]`,
          );
        return rows.join("\n");
      }),
      fc.constantFrom("model: *missing", "a: &x 1\nb: *y", "schemaVersion: 1\nschemaVersion: 1", "\u0000\u0001", "{", "- - - -"),
    );
    fc.assert(
      fc.property(anyDocument, fc.constantFrom("yaml", "json"), (text, ext) => {
        const file = writeInput(text, ext);
        expectBounded(file, 10, () => train(file));
        expectBounded(file, 10, () => readCatalogEntries([file]).entries);
        expectBounded(file, 10, () => readValidationFiles([file]).training.length);
      }),
      { seed: SEED, numRuns: 200 },
    );
  });
});
