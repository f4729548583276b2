// An emitted launch configuration for the terminal: the command, each file under a header (or where
// it was written), and the notes.
import type { EmittedLaunch } from "../engine/serve/emit/index.js";
import { shellWord } from "../engine/serve/emit/shellWord.js";

export function renderLaunch(launch: EmittedLaunch, written?: { dir: string; paths: string[] }): string {
  const lines = [`# launch (${launch.engine}): the best plan's deployment`];
  if (written) {
    for (const path of written.paths) lines.push(`# wrote ${path}`);
    // The command names its files relative to the folder they were written to.
    if (launch.files.length > 0) lines.push(`cd ${shellWord(written.dir)}`);
    lines.push(launch.command);
  } else {
    lines.push(launch.command);
    for (const file of launch.files) lines.push("", `# ---- ${file.name} ----`, file.contents.trimEnd());
  }
  if (launch.notes.length > 0) lines.push("", ...launch.notes.map((n) => `# note: ${n}`));
  return lines.join("\n");
}
