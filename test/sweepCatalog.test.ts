// Sweeps over the user's own chips, systems and models (--catalog), as `ultrasim train --catalog`
// predicts them; the catalog is part of the sweep's identity, so shards run with different catalogs
// never merge.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parse } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sha256Hex } from "../src/engine/sweep/sha256.js";
import { canonicalJson, sweepHash } from "../src/engine/sweep/sweepHash.js";
import type { Sweep } from "../src/engine/sweep/sweepFile.js";
import { readManifest } from "../src/node/sweep/sweepDirectory.js";
import { requireBuild, resultRows, ultrasim } from "./sweepHelpers.js";

const examples = resolve(import.meta.dirname, "../examples");
const myCatalog = join(examples, "my-catalog.yaml");
const scenario = join(examples, "my-model-on-my-system.yaml");

let dir: string;
beforeAll(() => {
  requireBuild();
  dir = mkdtempSync(join(tmpdir(), "ultrasim-sweep-catalog-"));
  // The example scenario (the user's model on the user's system), with the system as an axis.
  const base = parse(readFileSync(scenario, "utf8")) as Record<string, unknown>;
  delete base.schemaVersion;
  writeFileSync(
    join(dir, "what-if.yaml"),
    `schemaVersion: 1\nkind: train\nbase: ${JSON.stringify(base)}\naxes:\n  system.id: [trn3-ultraserver, trn3-ultraserver-800g]\n`,
  );
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("sweep --catalog", () => {
  it("runs points on the user's model and system, each as `ultrasim train --catalog` predicts it", async () => {
    const r = ultrasim(dir, ["sweep", "run", "what-if.yaml", "--out", "out", "--quiet", "--catalog", myCatalog]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const rows = await resultRows(join(dir, "out"));
    expect(rows).toHaveLength(2);
    for (const system of ["trn3-ultraserver", "trn3-ultraserver-800g"]) {
      const train = ultrasim(dir, ["train", scenario, "--system", system, "--catalog", myCatalog, "--json"]);
      expect(train.code, train.stderr).toBe(0);
      const expected = (JSON.parse(train.stdout) as { stepSeconds: number }).stepSeconds;
      const row = rows.find((x) => x.includes(system))!;
      expect(row, system).toBeDefined();
      expect(row).toContain(expected);
    }
  });

  it("without the catalog, names the unknown system before any work starts (exit 2)", () => {
    const r = ultrasim(dir, ["sweep", "run", "what-if.yaml", "--out", "out-none", "--quiet"]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toMatch(/^ultrasim: what-if\.yaml:\d+: axes\.system\.id\[1\]: unknown system 'trn3-ultraserver-800g'/);
  });

  it("makes the catalog part of the sweep's hash, and leaves sweeps without one as they were", () => {
    const sweep: Sweep = { name: null, kind: "train", base: {}, axes: [{ name: "system.chips", values: [8] }], filters: [] };
    const entries = [parse(readFileSync(myCatalog, "utf8")) as object];
    expect(sweepHash(sweep, "1.0.0", entries)).not.toBe(sweepHash(sweep, "1.0.0"));
    // Without a catalog: the hash of the fields as sweeps hashed them before --catalog existed.
    const before = canonicalJson({
      format: 1,
      ultrasimVersion: "1.0.0",
      kind: "train",
      base: {},
      axes: [["system.chips", [8]]],
      filters: [],
    });
    expect(sweepHash(sweep, "1.0.0", [])).toBe(sha256Hex(before));
    const plan = (catalog: string[]) =>
      JSON.parse(ultrasim(dir, ["sweep", "plan", "what-if.yaml", "--json", ...catalog]).stdout) as { hash: string };
    // The hash `sweep plan --catalog` reports is the one the run above wrote into its manifest.
    expect(plan(["--catalog", myCatalog]).hash).toBe(readManifest(join(dir, "out")).hash);
  });
});
