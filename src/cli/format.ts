// How numbers look in terminal tables: SI prefixes, fixed significant digits.

export function formatSeconds(seconds: number): string {
  if (!Number.isFinite(seconds)) return String(seconds);
  if (seconds >= 86400) return `${(seconds / 86400).toFixed(2)} d`;
  if (seconds >= 3600) return `${(seconds / 3600).toFixed(2)} h`;
  if (seconds >= 1) return `${seconds.toFixed(3)} s`;
  if (seconds >= 1e-3) return `${(seconds * 1e3).toFixed(2)} ms`;
  return `${(seconds * 1e6).toFixed(1)} µs`;
}

export function formatBytes(bytes: number): string {
  const sign = bytes < 0 ? "-" : "";
  const b = Math.abs(bytes);
  if (b >= 1e12) return `${sign}${(b / 1e12).toFixed(2)} TB`;
  if (b >= 1e9) return `${sign}${(b / 1e9).toFixed(1)} GB`;
  if (b >= 1e6) return `${sign}${(b / 1e6).toFixed(1)} MB`;
  return `${sign}${(b / 1e3).toFixed(1)} kB`;
}

export function formatCount(n: number): string {
  if (Math.abs(n) >= 1e12) return `${(n / 1e12).toFixed(2)} T`;
  if (Math.abs(n) >= 1e9) return `${(n / 1e9).toFixed(2)} G`;
  if (Math.abs(n) >= 1e6) return `${(n / 1e6).toFixed(2)} M`;
  if (Math.abs(n) >= 1e4) return `${(n / 1e3).toFixed(1)} k`;
  return n.toFixed(n < 100 ? 1 : 0);
}

export function formatPercent(fraction: number, digits = 1): string {
  return `${(fraction * 100).toFixed(digits)}%`;
}

export function formatSignedPercent(pct: number): string {
  return `${pct >= 0 ? "+" : ""}${pct.toFixed(1)}%`;
}

/** A likely range, "27.1 s – 45.0 s", each end in the figure's own format. */
export function formatRange(range: { low: number; high: number }, format: (x: number) => string): string {
  return `${format(range.low)} – ${format(range.high)}`;
}

/** One "likely:" line: what, its range, the range's level and the evidence it rests on. */
export function formatLikelyLine(
  what: string,
  range: { low: number; high: number; level: number; basis: string },
  format: (x: number) => string,
): string {
  return `likely: ${what} ${formatRange(range, format)} (${Math.round(range.level * 100)}% range; ${range.basis})`;
}

/** A run line's MoE routing note: nothing for balanced routing, else the busiest expert rank's load. */
export function formatExpertImbalance(x: number | undefined): string {
  return x !== undefined && x !== 1 ? ` · busiest expert rank ${x}x the mean load` : "";
}
