// `ultrasim claims`: AWS's Trainium3 claims checked against the model, as text, Markdown or JSON.
import type { Command } from "commander";
import { builtinCatalog } from "../../engine/catalog/builtin.js";
import { checkClaims } from "../../engine/claims/claims.js";
import { claimsMarkdown, claimsText } from "../../engine/claims/claimsMarkdown.js";
import { print, printJson } from "../output.js";

export function registerClaims(program: Command): void {
  program
    .command("claims")
    .description("check AWS's Trainium3 claims (compute, memory bandwidth, energy, scale, cost) against the model")
    .option("--md", "print the report as Markdown (docs/claims.md)")
    .option("--json", "print the report as JSON")
    .action((opts: { md?: boolean; json?: boolean }) => {
      const report = checkClaims(builtinCatalog());
      if (opts.json) printJson(report);
      else if (opts.md) print(claimsMarkdown(report, "npx ultrasim claims --md > docs/claims.md"));
      else print(claimsText(report));
    });
}
