// Running the built CLI (dist/src/cli/main.js; `npm test` builds first) from tests.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

export const CLI = fileURLToPath(new URL("../dist/src/cli/main.js", import.meta.url));
export const REPO = fileURLToPath(new URL("..", import.meta.url));

export function ultrasimIn(cwd: string, args: string[], timeout = 60_000) {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first (npm test does)`);
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: "utf8", timeout, maxBuffer: 64 * 1024 * 1024 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Run from the repository root. */
export const ultrasim = (...args: string[]) => ultrasimIn(REPO, args);

/** A Node stack trace's tell-tale lines. */
export const STACK = /\n\s+at |node:internal|Error: /;
