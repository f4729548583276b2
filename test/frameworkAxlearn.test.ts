// AXLearn (Apple's JAX trainer, run on Trainium through the Neuron plugin) as a framework in the data:
// its features are sourced (or marked estimates), it runs from the CLI, and as no open case ran it,
// its fitted values are the priors and the prediction says so.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { Value } from "@sinclair/typebox/value";
import { builtinCatalog } from "../src/engine/catalog/builtin.js";
import { FrameworkSpec } from "../src/engine/calibrate/framework.js";

const cli = fileURLToPath(new URL("../dist/src/cli/main.js", import.meta.url));
const example = fileURLToPath(new URL("../examples/llama3.1-405b-trn3.yaml", import.meta.url));
const catalog = builtinCatalog();

describe("framework: axlearn", () => {
  const ax = catalog.listFrameworks().find((f) => f.id === "axlearn")!;

  it("is in the data, valid, every feature with a source", () => {
    expect(ax).toBeDefined();
    expect(Value.Check(FrameworkSpec, ax)).toBe(true);
    for (const [k, v] of Object.entries(ax))
      if (typeof v === "object") expect((v as { source: string }).source.length, k).toBeGreaterThan(10);
    // What the fuji configs state: NKI flash attention, bf16 steps, no pipeline axis.
    expect(ax.attentionKernel.value).toBe("flash");
    expect(ax.fp8Recipe.value).toBe("none");
    expect(ax.pipelineSendOverlap.value).toBe(false);
  });

  it("runs from the CLI with its FSDP (ZeRO-3), and its fitted values are priors (no open case ran it)", () => {
    // The fuji configs shard over an 'fsdp' mesh axis: ZeRO-3; the example's ZeRO-1 is not an AXLearn layout.
    expect(ax.zeroStages.value).toContain(3);
    const r = spawnSync(process.execPath, [cli, "train", example, "--framework", "axlearn", "--zero", "3", "--json"], {
      encoding: "utf8",
      timeout: 60_000,
    });
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.efficiency).toMatch(/software axlearn: priors/);
    expect(out.stepSeconds).toBeGreaterThan(0);
  });
});
