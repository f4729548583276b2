// `compare --price-per-chip-hour`: the $/1M tokens column follows the price given, by hand:
// price × chips / (tokens per second × 3600) × 1e6, the same for every system, even one with no public price.
import { describe, expect, it } from "vitest";
import { ultrasim } from "./cliHelpers.js";

const ARGS = ["compare", "--model", "llama3-8b", "--systems", "p5.48xlarge,trn3-ultraserver", "--baseline", "p5.48xlarge"];
const SMALL = ["--chips", "144", "--global-batch", "64", "--seq-len", "4096"];

interface Row {
  system: string;
  chips: number;
  tokensPerSecond: number;
  usdPerMillionTokens: number | null;
  vsBaseline: { usdPerToken: number | null; throughput: number | null };
}

describe("compare --price-per-chip-hour", () => {
  it("sets $/1M tokens for every system, by hand", { timeout: 60_000 }, () => {
    const r = ultrasim(...ARGS, ...SMALL, "--price-per-chip-hour", "3", "--json");
    expect(r.code).toBe(0);
    const rows = (JSON.parse(r.stdout) as { rows: Row[] }).rows;
    expect(rows).toHaveLength(2);
    for (const row of rows) {
      const byHand = (3 * row.chips * 1e6) / (row.tokensPerSecond * 3600);
      expect(row.usdPerMillionTokens).toBeCloseTo(byHand, 10);
    }
    // One price for both: the cost ratio is the inverse of the throughput per chip ratio.
    const [base, trn3] = rows as [Row, Row];
    const perChip = (x: Row) => x.tokensPerSecond / x.chips;
    expect(trn3.vsBaseline.usdPerToken).toBeCloseTo(perChip(base) / perChip(trn3), 10);

    const text = ultrasim(...ARGS, ...SMALL, "--price-per-chip-hour", "3");
    expect(text.code).toBe(0);
    for (const row of rows) {
      const line = text.stdout.split("\n").find((l) => l.includes(`│ ${row.system}`))!;
      expect(line).toContain(`$${row.usdPerMillionTokens!.toFixed(2)}`);
    }
    expect(text.stdout).not.toContain("no public price");
  });

  it("without a price, a system with no public price says so", { timeout: 60_000 }, () => {
    const r = ultrasim(...ARGS, ...SMALL, "--json");
    const rows = (JSON.parse(r.stdout) as { rows: Row[] }).rows;
    expect(rows.find((x) => x.system === "trn3-ultraserver")!.usdPerMillionTokens).toBeNull();
  });

  it("a negative price is refused, naming the flag", () => {
    const r = ultrasim(...ARGS, ...SMALL, "--price-per-chip-hour", "-1");
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^ultrasim: --price-per-chip-hour: /);
  });
});
