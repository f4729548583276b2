// Progress for long work: a bar on a terminal, plain lines otherwise (logs, CI). Written to stderr so
// stdout stays clean for --json.
export interface Progress {
  /** `detail` (e.g. counts, a rate, an ETA) follows the percentage. */
  update: (fraction: number, detail?: string) => void;
  done: () => void;
}

export function progressReporter(label: string, enabled: boolean): Progress {
  if (!enabled) return { update: () => {}, done: () => {} };
  const tty = process.stderr.isTTY;
  let lastLine = -10; // the first update (0%) prints: the work has started
  return {
    update(fraction: number, detail?: string) {
      const pct = Math.floor(fraction * 100);
      const tail = detail ? ` ${detail}` : "";
      if (tty) {
        const width = 30;
        const filled = Math.round(fraction * width);
        process.stderr.write(`\r${label} [${"#".repeat(filled)}${" ".repeat(width - filled)}] ${pct}%${tail}\x1b[K`);
      } else if (pct >= lastLine + 10 || fraction === 1) {
        lastLine = pct;
        process.stderr.write(`${label}: ${pct}%${tail}\n`);
      }
    },
    done() {
      if (tty) process.stderr.write("\n");
    },
  };
}
