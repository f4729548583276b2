// One training step as a Chrome trace event file (the JSON Perfetto and chrome://tracing open): one
// track per pipeline stage, a slice per forward or backward of a micro-batch with the communication
// it could not hide drawn after its compute, then the exposed data-parallel work and the optimizer.
import type { TimelineSlice, TrainingPrediction } from "../analytic/trainingStep.js";

export interface TraceEvent {
  name: string;
  cat?: string;
  ph: "X" | "M";
  ts?: number;
  dur?: number;
  pid: number;
  tid: number;
  args?: Record<string, unknown>;
}

const MICROSECONDS = 1e6;
const PART_NAMES = {
  tp: "tensor-parallel comm",
  cp: "context-parallel comm",
  ep: "expert-parallel comm",
  pp: "pipeline send",
  dp: "FSDP gather/reduce",
} as const;

function sliceEvents(slice: TimelineSlice): TraceEvent[] {
  const tid = slice.stage;
  if (!slice.parts) {
    return [
      {
        name: slice.name,
        cat: slice.category,
        ph: "X",
        ts: slice.start * MICROSECONDS,
        dur: (slice.end - slice.start) * MICROSECONDS,
        pid: 0,
        tid,
      },
    ];
  }
  const events: TraceEvent[] = [];
  let t = slice.start;
  events.push({
    name: slice.name,
    cat: slice.category,
    ph: "X",
    ts: t * MICROSECONDS,
    dur: slice.parts.compute * MICROSECONDS,
    pid: 0,
    tid,
    args: { chunk: slice.chunk, microBatch: slice.microBatch },
  });
  t += slice.parts.compute;
  for (const key of ["tp", "cp", "ep", "pp", "dp"] as const) {
    const seconds = slice.parts[key];
    if (seconds <= 0) continue;
    events.push({
      name: PART_NAMES[key],
      cat: "communication",
      ph: "X",
      ts: t * MICROSECONDS,
      dur: seconds * MICROSECONDS,
      pid: 0,
      tid,
      args: { of: slice.name },
    });
    t += seconds;
  }
  return events;
}

export function chromeTrace(
  prediction: TrainingPrediction,
  title: string,
): { traceEvents: TraceEvent[]; displayTimeUnit: "ms"; otherData: Record<string, unknown> } {
  const stages = prediction.layout.pp;
  const traceEvents: TraceEvent[] = [{ name: "process_name", ph: "M", pid: 0, tid: 0, args: { name: title } }];
  for (let s = 0; s < stages; s++)
    traceEvents.push({ name: "thread_name", ph: "M", pid: 0, tid: s, args: { name: `pipeline stage ${s}` } });
  for (const slice of prediction.timeline) traceEvents.push(...sliceEvents(slice));
  return { traceEvents, displayTimeUnit: "ms", otherData: { stepSeconds: prediction.stepSeconds, generator: "ultrasim" } };
}
