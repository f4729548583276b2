// Pipeline-parallel schedules simulated micro-batch by micro-batch: 1F1B (Narayanan et al., PipeDream-
// Flush, 2021) and Megatron's interleaved 1F1B with virtual stages (Narayanan et al., SC'21, sec. 2.2).
// Each stage runs its operations in the schedule's order; an operation starts when its stage is free
// and its input has arrived, so warm-up, cool-down and bubbles come out exact, uneven stages included.

export interface PipelineOp {
  stage: number;
  chunk: number;
  microBatch: number;
  kind: "forward" | "backward";
  start: number;
  end: number;
}

export interface PipelineInput {
  stages: number;
  /** Virtual stages (model chunks) per stage; 1 = plain 1F1B. */
  chunks: number;
  microBatches: number;
  /** Seconds of one forward of chunk c on stage s (compute, exposed communication and the send to the next stage). */
  forwardSeconds: (stage: number, chunk: number) => number;
  backwardSeconds: (stage: number, chunk: number) => number;
  /** Keep every operation's start and end (for traces); off, only the summaries are kept. */
  recordOps?: boolean;
}

export interface PipelineResult {
  ops: PipelineOp[];
  /** When each stage finishes its last operation. */
  stageEnd: number[];
  /** Busy seconds per stage. */
  stageBusy: number[];
  /** Most chunk-micro-batches whose activations a stage holds at once (forward done, backward not). */
  peakInFlight: number[];
  /** End of the last backward of each chunk on each stage: when its gradients are complete. */
  lastBackwardEnd: number[][];
}

interface Slot {
  kind: "forward" | "backward";
  chunk: number;
  microBatch: number;
}

/** The order one stage runs its forwards and backwards in (Megatron's schedules.py). */
export function stageOrder(stage: number, stages: number, chunks: number, microBatches: number): Slot[] {
  return Array.from(buildStageOrder(stage, stages, chunks, microBatches), (code) => decodeSlot(code, microBatches));
}

// A slot packed in one small integer: (chunk · m + micro-batch) · 2, plus 1 for a backward.
const slotIsBackward = (code: number) => (code & 1) === 1;
const slotChunk = (code: number, m: number) => Math.floor((code >> 1) / m);
const slotMicroBatch = (code: number, m: number) => (code >> 1) % m;
const decodeSlot = (code: number, m: number): Slot => ({
  kind: slotIsBackward(code) ? "backward" : "forward",
  chunk: slotChunk(code, m),
  microBatch: slotMicroBatch(code, m),
});

function buildStageOrder(stage: number, stages: number, chunks: number, microBatches: number): Int32Array {
  const total = chunks * microBatches;
  const forwards = new Int32Array(total);
  const backwards = new Int32Array(total);
  // Virtual micro-batches go in groups of `stages` micro-batches through chunk 0, then chunk 1, ...
  let n = 0;
  for (let first = 0; first < microBatches; first += stages) {
    const last = Math.min(microBatches, first + stages);
    for (let c = 0; c < chunks; c++) {
      for (let mb = first; mb < last; mb++) {
        forwards[n] = (c * microBatches + mb) * 2;
        backwards[n] = ((chunks - 1 - c) * microBatches + mb) * 2 + 1;
        n++;
      }
    }
  }
  let warmup: number;
  if (chunks === 1) warmup = Math.min(stages - stage - 1, microBatches);
  else if (microBatches === stages) warmup = total;
  else warmup = Math.min((stages - stage - 1) * 2 + (chunks - 1) * stages, total);
  const order = new Int32Array(2 * total);
  let o = 0;
  for (let i = 0; i < warmup; i++) order[o++] = forwards[i]!;
  for (let i = 0; i < total - warmup; i++) {
    order[o++] = forwards[warmup + i]!;
    order[o++] = backwards[i]!;
  }
  for (let i = total - warmup; i < total; i++) order[o++] = backwards[i]!;
  return order;
}

/**
 * Each stage's operations in order, as indices into one table of end times (operation (s, c, mb) of
 * kind k at ((c·p + s)·m + mb)·2 + k, k = 1 for a backward), with the index of the operation whose end
 * its input waits for (-1: the first forward, whose input is there from the start) and its chunk.
 * Derived from the stages' orders once per schedule shape and cached: the planner simulates many
 * layouts of one shape, and the simulation itself then only looks things up.
 */
interface StageSteps {
  index: Int32Array;
  dependency: Int32Array;
  chunk: Int32Array;
}

const stepsCache = new Map<number, StageSteps[]>();
let stepsCached = 0;
/** Integers the cache may hold before it is emptied. */
const STEPS_LIMIT = 1 << 23;

function stageSteps(p: number, v: number, m: number): StageSteps[] {
  // Packed in one number, exact while each field is under its width: larger shapes are not cached.
  const cacheable = p < 1024 && v < 1024 && m < 2 ** 24;
  const key = (p * 1024 + v) * 2 ** 24 + m;
  const cached = cacheable ? stepsCache.get(key) : undefined;
  if (cached) return cached;
  const at = (s: number, c: number, mb: number, backward: number) => ((c * p + s) * m + mb) * 2 + backward;
  const steps = Array.from({ length: p }, (_, s) => {
    const order = buildStageOrder(s, p, v, m);
    const index = new Int32Array(order.length);
    const dependency = new Int32Array(order.length);
    const chunk = new Int32Array(order.length);
    order.forEach((code, i) => {
      const c = slotChunk(code, m);
      const mb = slotMicroBatch(code, m);
      chunk[i] = c;
      if (!slotIsBackward(code)) {
        index[i] = at(s, c, mb, 0);
        // A forward takes the previous stage's output, or the last stage's output of the previous chunk.
        dependency[i] = s > 0 ? at(s - 1, c, mb, 0) : c > 0 ? at(p - 1, c - 1, mb, 0) : -1;
      } else {
        index[i] = at(s, c, mb, 1);
        // A backward takes the next stage's gradient, or the first stage's of the next chunk; the last
        // chunk of the last stage starts from its own forward (the loss).
        dependency[i] = s < p - 1 ? at(s + 1, c, mb, 1) : c < v - 1 ? at(0, c + 1, mb, 1) : at(p - 1, c, mb, 0);
      }
    });
    return { index, dependency, chunk };
  });
  const size = 6 * p * v * m;
  if (stepsCached + size > STEPS_LIMIT) {
    stepsCache.clear();
    stepsCached = 0;
  }
  if (size <= STEPS_LIMIT && cacheable) {
    stepsCache.set(key, steps);
    stepsCached += size;
  }
  return steps;
}

export function simulatePipeline(input: PipelineInput): PipelineResult {
  const { stages: p, chunks: v, microBatches: m } = input;
  // When each operation ends; -1 until it has run.
  const end = new Float64Array(2 * p * v * m).fill(-1);
  const steps = stageSteps(p, v, m);
  const next = new Array<number>(p).fill(0);
  const free = new Array<number>(p).fill(0);
  const busy = new Array<number>(p).fill(0);
  const inFlight = new Array<number>(p).fill(0);
  const peakInFlight = new Array<number>(p).fill(0);
  const lastBackwardEnd = Array.from({ length: p }, () => new Array<number>(v).fill(0));
  // Durations by stage and chunk, forwards then backwards.
  const duration = new Float64Array(2 * p * v);
  for (let s = 0; s < p; s++)
    for (let c = 0; c < v; c++) {
      duration[(s * v + c) * 2] = input.forwardSeconds(s, c);
      duration[(s * v + c) * 2 + 1] = input.backwardSeconds(s, c);
    }
  const ops: PipelineOp[] = [];

  let remaining = 2 * p * v * m;
  while (remaining > 0) {
    let progressed = false;
    for (let s = 0; s < p; s++) {
      const { index, dependency, chunk: chunkOf } = steps[s]!;
      let i = next[s]!;
      let stageFree = free[s]!;
      while (i < index.length) {
        const dep = dependency[i]!;
        const inputReady = dep < 0 ? 0 : end[dep]!;
        if (inputReady < 0) break;
        const k = index[i]!;
        const backward = k & 1;
        const chunk = chunkOf[i]!;
        const start = Math.max(stageFree, inputReady);
        const took = duration[(s * v + chunk) * 2 + backward]!;
        const finish = start + took;
        end[k] = finish;
        if (!backward) {
          inFlight[s]!++;
          if (inFlight[s]! > peakInFlight[s]!) peakInFlight[s] = inFlight[s]!;
        } else {
          inFlight[s]!--;
          if (finish > lastBackwardEnd[s]![chunk]!) lastBackwardEnd[s]![chunk] = finish;
        }
        if (input.recordOps)
          ops.push({ stage: s, chunk, microBatch: (k >> 1) % m, kind: backward ? "backward" : "forward", start, end: finish });
        stageFree = finish;
        busy[s]! += took;
        i++;
        remaining--;
        progressed = true;
      }
      next[s] = i;
      free[s] = stageFree;
    }
    if (!progressed) throw new Error("internal: pipeline schedule deadlocked");
  }
  return { ops, stageEnd: free, stageBusy: busy, peakInFlight, lastBackwardEnd };
}

/**
 * The same summaries from closed forms, exact when every stage's chunks cost the same (Narayanan et
 * al. SC'21, sec. 2.2): the step is m·v + p − 1 chunk slots of (f + b), i.e. m times a stage's work per
 * micro-batch plus p − 1 chunk slots of warm-up and cool-down. With uneven stages the slowest stage's
 * work sets the steady state. In-flight micro-batches follow Megatron's warm-up counts.
 */
export function closedFormPipeline(input: PipelineInput, stageGroups?: number[][]): PipelineResult {
  const { stages: p, chunks: v, microBatches: m } = input;
  // Stages of one group do the same work: each group is costed once, through its first stage.
  const groups = stageGroups ?? Array.from({ length: p }, (_, s) => [s]);
  let slowest = 0;
  let slotSum = 0;
  const work: number[] = [];
  const backward: number[][] = [];
  for (const group of groups) {
    const s = group[0]!;
    let stageWork = 0;
    const row: number[] = [];
    for (let c = 0; c < v; c++) {
      const f = input.forwardSeconds(s, c);
      const b = input.backwardSeconds(s, c);
      stageWork += f + b;
      row.push(b);
    }
    slowest = Math.max(slowest, stageWork);
    slotSum += stageWork * group.length;
    work.push(stageWork);
    backward.push(row);
  }
  const end = closedFormEnd(p, v, m, slowest, slotSum);
  const stageEnd = new Array<number>(p).fill(end);
  const stageBusy = new Array<number>(p);
  const lastBackwardEnd = new Array<number[]>(p);
  groups.forEach((group, g) => {
    // Cool-down runs the last backwards from chunk v-1 down to chunk 0, which ends the step.
    const ends: number[] = [];
    let t = end;
    for (let c = 0; c < v; c++) {
      ends.push(t);
      t -= backward[g]![c]!;
    }
    for (const s of group) {
      lastBackwardEnd[s] = ends;
      stageBusy[s] = m * work[g]!;
    }
  });
  const peakInFlight = new Array<number>(p);
  for (const group of groups) for (const s of group) peakInFlight[s] = closedFormPeakInFlight(s, p, v, m);
  return { ops: [], stageEnd, stageBusy, peakInFlight, lastBackwardEnd };
}

/**
 * When the closed-form schedule ends: m micro-batches at the pace of the slowest stage, plus warm-up and
 * cool-down, in which each stage's share (p-1)/(p·v) of the work of all stages runs ahead or behind.
 * `slowestStageWork` and `allStagesWork` are seconds per micro-batch (forwards and backwards of every
 * chunk): of the slowest stage, and summed over the stages. For uniform stages this is
 * uniformPipelineSeconds.
 */
export function closedFormEnd(p: number, v: number, m: number, slowestStageWork: number, allStagesWork: number): number {
  return m * slowestStageWork + ((p - 1) * allStagesWork) / (p * v);
}

/** Chunk-micro-batches stage s holds at once: Megatron's warm-up count plus the one in hand. */
export function closedFormPeakInFlight(s: number, p: number, v: number, m: number): number {
  return v === 1 ? Math.min(p - s, m) : m === p ? m * v : Math.min(m * v, (p - s - 1) * 2 + (v - 1) * p + 1);
}

/** Closed form for uniform stages, per-chunk forward f and backward b: (m·v + p − 1)(f + b). */
export function uniformPipelineSeconds(stages: number, chunks: number, microBatches: number, forward: number, backward: number): number {
  return (microBatches * chunks + stages - 1) * (forward + backward);
}
