// `ultrasim plan` end to end: JSON output, a chip-count scan on worker threads that adds up to the
// single-count searches, and bad input as one line with exit code 2.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const CLI = fileURLToPath(new URL("../dist/src/cli/main.js", import.meta.url));
const ultrasim = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8", timeout: 120_000 });
const base = [
  "plan",
  "--model",
  "llama3-8b",
  "--system",
  "dgx-h100",
  "--global-batch",
  "256",
  "--seq-len",
  "4096",
  "--precision",
  "bf16",
  "--json",
];

interface PlanJson {
  evaluated: number;
  feasible: number;
  plans: { chips: number; stepSeconds: number; parallelism: { tp: number; pp: number; dp: number; cp: number } }[];
}

describe("ultrasim plan", () => {
  it("prints the ranked plans as JSON, each adding up to its chip count", () => {
    const r = ultrasim(...base, "--chips", "32", "--top", "3");
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout) as PlanJson;
    expect(out.plans).toHaveLength(3);
    expect(out.evaluated).toBeGreaterThan(out.feasible);
    for (const p of out.plans) expect(p.parallelism.tp * p.parallelism.pp * p.parallelism.dp * p.parallelism.cp).toBe(32);
    expect(out.plans[0]!.stepSeconds).toBeLessThanOrEqual(out.plans[1]!.stepSeconds);
  });

  it("scans chip counts on worker threads, merging to what separate searches find", () => {
    const one = JSON.parse(ultrasim(...base, "--chips", "16", "--top", "1").stdout) as PlanJson;
    const two = JSON.parse(ultrasim(...base, "--chips", "32", "--top", "1").stdout) as PlanJson;
    const scan = JSON.parse(ultrasim(...base, "--chips", "16..32", "--top", "1").stdout) as PlanJson;
    expect(scan.evaluated).toBe(one.evaluated + two.evaluated);
    expect(scan.feasible).toBe(one.feasible + two.feasible);
    // The faster step of the two counts wins the scan.
    expect(scan.plans[0]!.stepSeconds).toBe(Math.min(one.plans[0]!.stepSeconds, two.plans[0]!.stepSeconds));
  });

  it("prints a table whose header names every column, each plan's figures under them", () => {
    const r = ultrasim(...base.filter((a) => a !== "--json"), "--chips", "32", "--top", "2", "--price-per-chip-hour", "2");
    expect(r.status, r.stderr).toBe(0);
    const cells = (line: string) =>
      line
        .split("│")
        .slice(1, -1)
        .map((c) => c.trim());
    const rows = r.stdout.split("\n").filter((line) => line.startsWith("│"));
    const [header, first] = [cells(rows[0]!), cells(rows[1]!)];
    expect(first).toHaveLength(header.length);
    const column = (name: string) => first[header.indexOf(name)];
    const json = JSON.parse(ultrasim(...base, "--chips", "32", "--top", "2", "--price-per-chip-hour", "2").stdout) as {
      plans: { parallelism: { placement?: string }; usdPerMillionTokens: number; stepSeconds: number }[];
    };
    expect(column("placement")).toBe(json.plans[0]!.parallelism.placement ?? "tp-cp-dp-pp");
    expect(column("$/1M tokens")).toBe(`$${json.plans[0]!.usdPerMillionTokens.toFixed(2)}`);
    expect(column("dominant cost")).toMatch(/% of the step\)$/);
  });

  it("rejects a bad chip count with one line naming the flag and exit code 2", () => {
    const r = ultrasim(...base, "--chips", "lots");
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(/--chips/);
    expect(r.stderr).not.toMatch(/ {4}at /);
  });

  it("needs a price for the cost objective where none is public", () => {
    const r = ultrasim("plan", "--system", "trn3-ultraserver", "--chips", "144", "--objective", "cost");
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/no public price for trn3-ultraserver/);
  });
});
