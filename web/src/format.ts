// Numbers for people: SI prefixes, seconds in the unit that reads best, bytes in GB (10^9, as the
// catalog gives capacities).
export const GB = 1e9;

export function formatSeconds(seconds: number): string {
  if (!Number.isFinite(seconds)) return String(seconds);
  if (seconds >= 3600 * 24) return `${(seconds / 86400).toFixed(1)} d`;
  if (seconds >= 3600) return `${(seconds / 3600).toFixed(1)} h`;
  if (seconds >= 1) return `${seconds.toFixed(3)} s`;
  if (seconds >= 1e-3) return `${(seconds * 1e3).toFixed(2)} ms`;
  return `${(seconds * 1e6).toFixed(1)} µs`;
}

export function formatCount(value: number, digits = 3): string {
  const units: [number, string][] = [
    [1e15, "P"],
    [1e12, "T"],
    [1e9, "G"],
    [1e6, "M"],
    [1e3, "k"],
  ];
  for (const [scale, unit] of units) if (Math.abs(value) >= scale) return `${(value / scale).toPrecision(digits)} ${unit}`;
  return value.toPrecision(digits);
}

export const formatPercent = (fraction: number) => `${(fraction * 100).toFixed(1)}%`;
export const formatGB = (bytes: number) => `${(bytes / GB).toFixed(1)} GB`;
export const formatInteger = (n: number) => n.toLocaleString("en-US");
/** A chip count as people write it: "1,152 × Trainium3". */
export const formatChips = (count: number, chipName: string) => `${formatInteger(count)} × ${chipName}`;

/** The step-time breakdown's parts, in the order the CLI's table lists them. */
export const BREAKDOWN_LABELS = {
  compute: "compute",
  tensorParallel: "tensor-parallel comm",
  contextParallel: "context-parallel comm",
  expertParallel: "expert-parallel comm",
  pipelineParallel: "pipeline sends",
  pipelineBubble: "pipeline bubble",
  dataParallel: "data-parallel comm",
  optimizer: "optimizer",
} as const;

export const MEMORY_LABELS = {
  weights: "weights",
  gradients: "gradients",
  optimizerStates: "optimizer states",
  activations: "activations",
  communicationBuffers: "communication buffers",
  allocatorOverhead: "allocator",
  runtimeReserved: "runtime",
} as const;
