// A bad sweep file fails before any work starts, with one line naming the file, the line and the
// field, and exit code 2; and the pure parts (point order, filters, hash) behave as documented.
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compileFilter, MAX_FILTER_DEPTH } from "../src/engine/sweep/filterExpression.js";
import { sha256Hex } from "../src/engine/sweep/sha256.js";
import { sweepHash } from "../src/engine/sweep/sweepHash.js";
import { axisValuesAt, enumeratePoints, shardPoints } from "../src/engine/sweep/sweepPoints.js";
import type { Sweep } from "../src/engine/sweep/sweepFile.js";
import { shardFromEnvironment } from "../src/node/sweep/shardFromEnvironment.js";
import { requireBuild, trainSweep, ultrasim } from "./sweepHelpers.js";

let dir: string;
beforeAll(() => {
  requireBuild();
  dir = mkdtempSync(join(tmpdir(), "ultrasim-sweep-errors-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function runBad(name: string, text: string, ...flags: string[]) {
  writeFileSync(join(dir, name), text);
  const r = ultrasim(dir, ["sweep", "run", name, "--out", `out-${name}`, ...flags]);
  expect(r.code).toBe(2);
  expect(existsSync(join(dir, `out-${name}`)), "work started").toBe(false);
  return r.stderr.trim();
}

describe("sweep file errors", () => {
  it("names a typo in an axis, with a suggestion", () => {
    const text = trainSweep().replace("parallelism.pp:", "parallelism.ppp:");
    expect(runBad("typo.yaml", text)).toBe(
      "ultrasim: typo.yaml:12: axes.parallelism.ppp: no field 'ppp' in parallelism of a train point (a typo? did you mean 'parallelism.pp'?)",
    );
  });

  it("names an empty axis", () => {
    expect(runBad("empty.yaml", trainSweep().replace("run.microBatch: [1, 2]", "run.microBatch: []"))).toBe(
      "ultrasim: empty.yaml:14: axes.run.microBatch: the axis has no values: give at least one (or set the field in base)",
    );
  });

  it("refuses more points than the limit the user sets, in the file or on the command line", () => {
    expect(runBad("limit.yaml", trainSweep("maxPoints: 100\n"))).toBe(
      "ultrasim: limit.yaml:16: maxPoints: the sweep has 256 points, over the limit of 100: narrow the axes, add filters, or raise maxPoints (--max-points)",
    );
    expect(runBad("flag.yaml", trainSweep(), "--max-points", "10")).toMatch(
      /^ultrasim: --max-points: the sweep has 256 points, over the limit of 10/,
    );
  });

  it("names a bad value, an unknown id and a bad filter", () => {
    expect(runBad("value.yaml", trainSweep().replace("system.chips: [16, 32]", "system.chips: [16, 32.5]"))).toBe(
      "ultrasim: value.yaml:10: axes.system.chips[1]: Expected integer, got 32.5",
    );
    expect(runBad("id.yaml", trainSweep("  model: [llama3-8b, lama3-70b]\n"))).toMatch(
      /^ultrasim: id\.yaml:16: axes\.model\[1\]: unknown model 'lama3-70b'/,
    );
    expect(runBad("filter.yaml", trainSweep('filters:\n  - "system.chipz > 16"\n'))).toMatch(
      /^ultrasim: filter\.yaml:17: filters\[0\]: no field 'system\.chipz' .*did you mean 'system\.chips'/,
    );
    expect(runBad("type.yaml", trainSweep('filters:\n  - "system.id > 16"\n'))).toMatch(
      /^ultrasim: type\.yaml:17: filters\[0\]: '>' compares two numbers or two strings/,
    );
  });
});

describe("filters nested too deep", () => {
  // Each form recursed once per level in the parser (or, for a long chain, in the evaluator): 100,000
  // levels overflowed the stack with a RangeError.
  const deep = 100_000;
  const forms = {
    parentheses: "(".repeat(deep) + "true" + ")".repeat(deep),
    "! operators": "!".repeat(deep) + "true",
    "- operators": "-".repeat(deep) + "1 > 0",
    lists: "[".repeat(deep) + "1" + "]".repeat(deep) + " == 1",
    "a chain of &&": Array(deep).fill("true").join(" && "),
  };
  it.each(Object.entries(forms))("refuses %s past the depth limit, with a message", (_, source) => {
    expect(() => compileFilter(source)).toThrow(/nests deeper than 64 levels/);
  });

  it("keeps filters at the limit, and quotes only part of a long one", () => {
    const read = () => 1;
    expect(compileFilter("(".repeat(MAX_FILTER_DEPTH) + "true" + ")".repeat(MAX_FILTER_DEPTH)).test(read)).toBe(true);
    expect(compileFilter(Array(MAX_FILTER_DEPTH).fill("true").join(" && ")).test(read)).toBe(true);
    expect(() => compileFilter("(".repeat(MAX_FILTER_DEPTH + 1) + "true" + ")".repeat(MAX_FILTER_DEPTH + 1))).toThrow(/column 65/);
    try {
      compileFilter(forms.parentheses);
    } catch (e) {
      expect((e as Error).message.length).toBeLessThan(300);
    }
  });

  it("names the sweep file, line and filter from the command line, exit 2, no stack", () => {
    const stderr = runBad("deep.yaml", trainSweep(`filters:\n  - "${forms.parentheses}"\n`));
    expect(stderr).toMatch(/^ultrasim: deep\.yaml:17: filters\[0\]: the filter nests deeper than 64 levels .* \(200004 characters\)$/);
    expect(stderr.split("\n")).toHaveLength(1);
  });
});

describe("sweep points", () => {
  const sweep: Sweep = {
    name: null,
    kind: "train",
    base: {},
    axes: [
      { name: "a", values: [1, 2] },
      { name: "b", values: ["x", "y", "z"] },
    ],
    filters: [],
  };

  it("numbers points in nested-loop order, the last axis fastest, and deals them round-robin to shards", () => {
    expect(Array.from({ length: 6 }, (_, i) => axisValuesAt(sweep, i))).toEqual([
      [1, "x"],
      [1, "y"],
      [1, "z"],
      [2, "x"],
      [2, "y"],
      [2, "z"],
    ]);
    const kept = enumeratePoints(sweep, [compileFilter("a == 2 || b in ['x']")], 100);
    expect(kept.productIndices).toEqual([0, 3, 4, 5]);
    expect(shardPoints(10, 1, 3)).toEqual([1, 4, 7]);
  });

  it("evaluates filters with their types checked", () => {
    const read = (p: string) => ({ "system.chips": 64, model: "llama3-8b" })[p];
    expect(compileFilter("system.chips % 16 == 0 && !(model == 'x')").test(read)).toBe(true);
    expect(compileFilter("-system.chips + 2 * 40 >= 16").test(read)).toBe(true);
    expect(() => compileFilter("system.chips").test(read)).toThrow(/must be true or false/);
    expect(() => compileFilter("system.chips >").test(read)).toThrow(/a value is missing/);
  });

  it("hashes what decides the results, not the name", () => {
    expect(sha256Hex("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    // FIPS 180-4 / NIST CSVP vectors: the empty string and the two-block 448-bit message.
    expect(sha256Hex("")).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    expect(sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")).toBe(
      "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
    );
    // UTF-8 bytes, as Node's own SHA-256 hashes them.
    for (const text of ["é".repeat(100), "日本語🚀".repeat(33), "x".repeat(55), "y".repeat(64)])
      expect(sha256Hex(text)).toBe(createHash("sha256").update(text, "utf8").digest("hex"));
    // A sweep's hash is SHA-256 of its canonical JSON, so a library swap keeps every directory's hash.
    expect(sweepHash(sweep, "1")).toBe(
      createHash("sha256")
        .update('{"axes":[["a",[1,2]],["b",["x","y","z"]]],"base":{},"filters":[],"format":1,"kind":"train","ultrasimVersion":"1"}')
        .digest("hex"),
    );
    expect(sweepHash({ ...sweep, name: "other" }, "1")).toBe(sweepHash(sweep, "1"));
    expect(sweepHash({ ...sweep, base: { x: 1, y: 2 } }, "1")).toBe(sweepHash({ ...sweep, base: { y: 2, x: 1 } }, "1"));
    expect(sweepHash({ ...sweep, filters: ["a == 1"] }, "1")).not.toBe(sweepHash(sweep, "1"));
    expect(sweepHash(sweep, "2")).not.toBe(sweepHash(sweep, "1"));
  });

  it("reads the shard from each batch system's environment", () => {
    expect(shardFromEnvironment({ shard: "auto" }, { JOB_COMPLETION_INDEX: "2", ULTRASIM_SHARD_COUNT: "4" })).toMatchObject({
      index: 2,
      count: 4,
    });
    expect(shardFromEnvironment({ shard: "auto", shardCount: "5" }, { JOB_COMPLETION_INDEX: "0" })).toMatchObject({ index: 0, count: 5 });
    expect(shardFromEnvironment({ shard: "auto" }, { AWS_BATCH_JOB_ARRAY_INDEX: "7", AWS_BATCH_JOB_ARRAY_SIZE: "8" })).toMatchObject({
      index: 7,
      count: 8,
    });
    expect(
      shardFromEnvironment({ shard: "auto" }, { SLURM_ARRAY_TASK_ID: "3", SLURM_ARRAY_TASK_MIN: "1", SLURM_ARRAY_TASK_COUNT: "3" }),
    ).toMatchObject({
      index: 2,
      count: 3,
    });
    expect(shardFromEnvironment({ shardIndex: "1", shardCount: "2" }, {})).toMatchObject({ index: 1, count: 2 });
    expect(shardFromEnvironment({}, {})).toMatchObject({ index: 0, count: 1 });
    expect(() => shardFromEnvironment({ shard: "auto" }, { JOB_COMPLETION_INDEX: "2" })).toThrow(/ULTRASIM_SHARD_COUNT/);
    expect(() => shardFromEnvironment({ shard: "auto" }, {})).toThrow(/found no shard index/);
    expect(() => shardFromEnvironment({ shard: "auto" }, { AWS_BATCH_JOB_ARRAY_INDEX: "8", AWS_BATCH_JOB_ARRAY_SIZE: "8" })).toThrow(
      /not below/,
    );
  });
});
