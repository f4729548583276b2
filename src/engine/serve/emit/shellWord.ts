// One word of a POSIX shell command: left bare when it holds only characters the shell passes through
// unchanged, else single-quoted (a single quote inside closes, escapes and reopens the quotes).
export function shellWord(text: string): string {
  if (/^[\w@%+=:,./-]+$/.test(text)) return text;
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/** A command line from its words, continued over lines two words (a flag and its value) at a time. */
export function commandLine(program: string[], flags: [string, string?][]): string {
  const lines = [program.join(" "), ...flags.map(([flag, value]) => (value === undefined ? flag : `${flag} ${value}`))];
  return lines.join(" \\\n  ");
}
