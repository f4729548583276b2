// Progress for long work: a bar on a terminal, plain lines otherwise (logs, CI). Written to stderr so
// stdout stays clean for --json.
export interface Progress {
  update: (fraction: number) => void;
  done: () => void;
}

export function progressReporter(label: string, enabled: boolean): Progress {
  if (!enabled) return { update: () => {}, done: () => {} };
  const tty = process.stderr.isTTY;
  let lastLine = -1;
  return {
    update(fraction: number) {
      const pct = Math.floor(fraction * 100);
      if (tty) {
        const width = 30;
        const filled = Math.round(fraction * width);
        process.stderr.write(`\r${label} [${"#".repeat(filled)}${" ".repeat(width - filled)}] ${pct}%`);
      } else if (pct >= lastLine + 10 || fraction === 1) {
        lastLine = pct;
        process.stderr.write(`${label}: ${pct}%\n`);
      }
    },
    done() {
      if (tty) process.stderr.write("\n");
    },
  };
}
