// Command-line arguments of the fit scripts, read strictly (Node's util.parseArgs): an unknown flag
// or a missing value is one line and exit 2, not a fit that runs for half an hour on a typo;
// --help prints the usage line and exits 0.
import { parseArgs } from "node:util";

export interface ScriptArgs {
  /** Flags by name: a string for a flag that takes a value, true for a switch, undefined if absent. */
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
}

export function scriptArgs(usage: string, options: Record<string, { type: "string" | "boolean" }>): ScriptArgs {
  try {
    const parsed = parseArgs({
      args: process.argv.slice(2),
      options: { ...options, help: { type: "boolean" } },
      allowPositionals: true,
      strict: true,
    });
    if (parsed.values.help) {
      console.log(`usage: ${usage}`);
      process.exit(0);
    }
    return { values: parsed.values as ScriptArgs["values"], positionals: parsed.positionals };
  } catch (e) {
    console.error(`${(e as Error).message}\nusage: ${usage}`);
    process.exit(2);
  }
}
