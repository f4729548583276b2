// The fit scripts read their flags strictly: a typo is one line and exit 2 before any fitting, and
// --help prints the usage.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const script = (name: string) => fileURLToPath(new URL(`../dist/scripts/${name}.js`, import.meta.url));
const run = (name: string, ...args: string[]) =>
  spawnSync(process.execPath, [script(name), ...args], { encoding: "utf8", timeout: 60_000 });

describe("fit scripts' flags", () => {
  it("an unknown flag or a missing value: exit 2, naming it, with the usage", () => {
    for (const [name, args, named] of [
      ["fit-serving-efficiency", ["--cross-valdate"], "--cross-valdate"],
      ["fit-serving-engines", ["--wirte"], "--wirte"],
      ["fit-intervals", ["--write", "--json"], "--json"],
      ["fit-training", ["--out"], "--out"],
    ] as const) {
      const r = run(name, ...args);
      expect(r.status, `${name} ${args.join(" ")}`).toBe(2);
      expect(r.stdout).toBe("");
      expect(r.stderr).toContain(named);
      expect(r.stderr).toContain(`usage:`);
    }
  });

  it("--help prints the usage line and exits 0", () => {
    const r = run("fit-serving-efficiency", "--help");
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^usage: node dist\/scripts\/fit-serving-efficiency\.js .*--cross-validate/);
  });
});
