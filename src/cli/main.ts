#!/usr/bin/env node
// The ultrasim command line: argument wiring only. Each command lives in commands/; work happens in
// the engine (pure) and src/node (files).
import { readFileSync } from "node:fs";
import { Command, CommanderError } from "commander";
import { UltrasimError } from "../engine/errors.js";
import { writeFailureReason } from "../node/outputFile.js";
import { registerCatalog } from "./commands/catalog.js";
import { registerClaims } from "./commands/claims.js";
import { registerCompare } from "./commands/compare.js";
import { registerReliability } from "./commands/reliability.js";
import { registerScale } from "./commands/scale.js";
import { registerHetero } from "./commands/hetero.js";
import { registerPlan } from "./commands/plan.js";
import { registerSchema } from "./commands/schema.js";
import { registerServe } from "./commands/serve.js";
import { registerSweep } from "./commands/sweep.js";
import { registerTrain } from "./commands/train.js";
import { registerValidate } from "./commands/validate.js";
import { registerWeb } from "./commands/web.js";

// A reader that goes away (`ultrasim ... | head`) ends the command quietly: what it wanted was printed.
for (const stream of [process.stdout, process.stderr])
  stream.on("error", (e: NodeJS.ErrnoException) => {
    if (e.code === "EPIPE") process.exit(0);
    if (stream === process.stdout) {
      process.stderr.write(`ultrasim: standard output: cannot write the results: ${writeFailureReason(e, "standard output")}\n`);
      process.exit(2);
    }
  });

// dist/src/cli/main.js -> the package root's package.json.
const PACKAGE = JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8")) as { version: string };

const program = new Command()
  .name("ultrasim")
  .description(
    "Simulate and plan AI training and inference on accelerator clusters (Trainium3 UltraServers and the systems weighed " +
      "against them): train and plan training layouts, serve inference, scale to a million chips, compare systems, check " +
      "AWS's claims, reliability and goodput, hetero NVLink Fusion, sweep thousands of scenarios, validate against published " +
      "runs, the catalog and schemas, and the web app.",
  )
  .version(PACKAGE.version, "-V, --version", "print the version")
  .exitOverride()
  .configureOutput({ outputError: (text, write) => write(text.startsWith("error:") ? `ultrasim: ${text.slice(7)}` : text) });

// An empty value (`--pue ""`, `train ""`) is a mistake, not a request for the default: say so.
program.hook("preAction", (_, command) => {
  for (const [name, value] of Object.entries(command.opts()))
    if (value === "" || (Array.isArray(value) && value.includes("")))
      throw new UltrasimError("INVALID_INPUT", "is empty: give a value, or leave the flag out for its default", {
        field: `--${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`,
      });
  command.registeredArguments.forEach((argument, i) => {
    if (command.args[i] === "")
      throw new UltrasimError("INVALID_INPUT", "is empty: give a file, or leave it out", { field: argument.name() });
  });
});

registerTrain(program);
registerValidate(program);
registerServe(program);
registerPlan(program);
registerCatalog(program);
registerSchema(program);
registerReliability(program);
registerScale(program);
registerCompare(program);
registerHetero(program);
registerSweep(program);
registerClaims(program);
registerWeb(program);

// One clear line and exit code 2 for bad input; a stack trace only for a bug in ultrasim itself.
try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof UltrasimError) {
    process.stderr.write(`ultrasim: ${e.describe()}\n`);
    process.exit(2);
  }
  // Commander has already printed its one-line message (unknown option, missing argument); help exits 0.
  if (e instanceof CommanderError) process.exit(e.exitCode === 0 ? 0 : 2);
  throw e;
}
