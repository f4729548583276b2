// Shared by the sweep tests: the built CLI (`npm test` builds first), a tiny train sweep, and the
// rows of a result file.
import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { readRows, type ResultFormat } from "../src/node/sweep/resultFile.js";
import { readManifest } from "../src/node/sweep/sweepDirectory.js";
import type { Cell } from "../src/engine/sweep/sweepColumns.js";

export const cli = fileURLToPath(new URL("../dist/src/cli/main.js", import.meta.url));
export function requireBuild(): void {
  if (!existsSync(cli)) throw new Error(`${cli} is missing: run \`npm run build\` first (npm test does)`);
}

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function ultrasim(cwd: string, args: string[], env: Record<string, string> = {}): Run {
  const r = spawnSync(process.execPath, [cli, ...args], { cwd, encoding: "utf8", timeout: 60_000, env: { ...process.env, ...env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

export function ultrasimAsync(cwd: string, args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cli, ...args], { cwd, env: { ...process.env, ...env } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/** A train sweep of Llama 3 8B layouts on DGX H100s: `points` points, quick ones (about a millisecond each). */
export function trainSweep(extra = ""): string {
  return `schemaVersion: 1
name: tiny
kind: train
base:
  model: llama3-8b
  system: { id: dgx-h100, chips: 16 }
  run: { seqLen: 2048, globalBatch: 128, microBatch: 1, precision: bf16 }
  parallelism: { tp: 1, pp: 1, dp: 16, cp: 1, ep: 1, etp: null, vpp: 1, sequenceParallel: true, zero: 1, recompute: selective }
axes:
  system.chips: [16, 32]
  parallelism.tp: [1, 2, 4, 8]
  parallelism.pp: [1, 2]
  parallelism.dp: [2, 4, 8, 16]
  run.microBatch: [1, 2]
  operations.usdPerChipHour: [2, 3.5]
${extra}`;
}

export async function resultRows(dir: string, file?: string): Promise<Cell[][]> {
  const manifest = readManifest(dir);
  return (await readRows(file ?? `${dir}/sweep.${manifest.format}`, manifest.format as ResultFormat, manifest.columns)).rows;
}
