// The benches report times and ratios and never fail on them: a serving bench slower than its bar
// still exits 0 (so `npm run bench` goes on to the sweep bench); only a wrong result fails.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { REPO } from "./cliHelpers.js";

describe("the serving bench", () => {
  it("slower than its bar (set to 1 ms here) reports it and exits 0", { timeout: 120_000 }, () => {
    const bench = join(REPO, "dist/bench/serve.js");
    expect(existsSync(bench), "npm run build builds the benches").toBe(true);
    const r = spawnSync(process.execPath, [bench], {
      encoding: "utf8",
      env: { ...process.env, ULTRASIM_SERVE_BENCH_BAR_SECONDS: "0.001" },
      timeout: 110_000,
    });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/100000 requests, .* s wall/);
    expect(r.stdout).toMatch(/x the 0\.001 s bar \(timings vary with the machine's load: not a failure\)/);
    // The current event loop against the one before its scheduler policies, in the same run, on the same requests.
    expect(r.stdout).toMatch(
      /serve event loop: [\d.]+ s now, [\d.]+ s before the scheduler policies \([\d.]+x\); 100000 and 100000 requests finished/,
    );
    // The same requests with shared prefixes, with the prefix cache and without, in the same run.
    expect(r.stdout).toMatch(
      /serve with shared prefixes: [\d.]+ s with the prefix cache \(\d+ iterations\), [\d.]+ s without \(\d+\): [\d.]+x, [\d.]+x per iteration; 100000 and 100000 requests finished/,
    );
  });
});
