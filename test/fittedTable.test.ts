// Tables fit the terminal: wide cells wrap, and where wrapping is not enough the lowest-priority
// columns are left out with a line that says which; not on a pipe, where tables stay as they were.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { fitTable } from "../src/cli/fittedTable.js";
import { CLI, REPO, ultrasim } from "./cliHelpers.js";

const widest = (text: string) => Math.max(...text.split("\n").map((l) => l.length));
const words = (text: string) =>
  text
    .replace(/[│┌┐└┘├┤┬┴┼─]/g, " ")
    .split(/\s+/)
    .filter(Boolean)
    .sort();

describe("fitTable", () => {
  const style = { head: [], border: [] };
  const long = "NVLink 5 / NVSwitch: 72 @ 900, then EFA 10p10u at 200 Gb/s per chip, then a spine at 1:7 oversubscription and 18 µs";

  it("wraps a wide column instead of overflowing, keeping every word", () => {
    const rows = [["gb200-nvl72", "b200", long, "800"]];
    const text = fitTable({ head: ["id", "chip", "scale-up levels", "scale-out"], style }, rows, 80);
    expect(widest(text)).toBeLessThanOrEqual(80);
    expect(words(text)).toEqual(words(["id", "chip", "scale-up levels", "scale-out", ...rows[0]!].join(" ")));
    expect(text).not.toContain("left out");
    expect(text).not.toContain("…"); // wrapped between words, never cut
  });

  it("leaves out the last columns when wrapping is not enough, and says which", () => {
    const head = ["system", "a", "b", "c", "d", "e", "f", "g", "h"];
    const rows = [head.map((h) => `${h}_value`)];
    const text = fitTable({ head, style }, rows, 60);
    expect(widest(text)).toBeLessThanOrEqual(60);
    expect(text).toContain("system_value");
    expect(text).not.toContain("…");
    const note = text.slice(text.indexOf("(left out")).replace(/\n/g, " ");
    expect(note).toMatch(/^\(left out to fit the 60-column terminal: h, g/);
    for (const dropped of note.slice(note.indexOf(":") + 2, note.indexOf(";")).split(", ")) expect(text).not.toContain(`${dropped}_value`);
  });

  it("follows a table's own drop order and narrows a cell spanning a dropped column", () => {
    const head = ["system", "ratio", "tokens/s", "$", "J"];
    const rows = [
      ["trn3", "1.00×", "123456789", "$1.23", "4.56"],
      ["p5", { colSpan: 4, content: "does not fit in memory at any layout of this many chips" }],
    ];
    const text = fitTable({ head, style, dropOrder: [1] }, rows, 40);
    expect(text.replace(/\n/g, " ")).toMatch(/terminal: ratio[,;]/);
    expect(text).not.toContain("1.00×");
    expect(text).toContain("does not fit");
  });
});

describe("tables at the command line", () => {
  it("on a pipe, are as wide as their content", () => {
    const r = ultrasim("catalog", "systems");
    expect(r.code).toBe(0);
    expect(widest(r.stdout)).toBeGreaterThan(200);
    expect(r.stdout).not.toContain("left out");
  });

  it.runIf(existsSync("/usr/bin/script") && process.platform === "linux")("on a 120-column terminal, fit it", { timeout: 30_000 }, () => {
    const r = spawnSync("/usr/bin/script", ["-qec", `stty cols 120; "${process.execPath}" "${CLI}" catalog systems`, "/dev/null"], {
      cwd: REPO,
      encoding: "utf8",
    });
    expect(r.status).toBe(0);
    const lines = r.stdout.replace(/\r/g, "").split("\n");
    expect(lines.length).toBeGreaterThan(10);
    expect(widest(lines.join("\n"))).toBeLessThanOrEqual(120);
    expect(r.stdout).toContain("trn3-ultraserver");
  });
});
