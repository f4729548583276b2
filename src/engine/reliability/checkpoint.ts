// Checkpoint and restart costs. A checkpoint is the model's weights and optimizer state (14 bytes per
// parameter for mixed-precision Adam), sharded over all chips. Its write time is the slower of the
// storage system's bandwidth and each chip's share over its own write bandwidth.
//   sync:      training stops for the whole write.
//   async:     training stops only for the copy to host memory; the write to storage runs behind the
//              next interval, which must be at least as long as it.
//   in-memory: a snapshot to host memory, replicated to a peer node's memory over the scale-out
//              network behind the next interval; a restart reloads from the peer, not from storage.
// Restart = failure detection + rescheduling (or a swap to a hot spare) + initialization + reload.
import { computedFigure, sourcedFigure, type Figure } from "../report/figure.js";
import { builtinReliabilityData, type ReliabilityData } from "./failureRates.js";

export const CHECKPOINT_MODES = ["sync", "async", "in-memory"] as const;
export type CheckpointMode = (typeof CHECKPOINT_MODES)[number];

export interface CheckpointCosts {
  checkpointBytes: Figure;
  /** Seconds training stops for each checkpoint. */
  blockingSeconds: Figure;
  /** The shortest interval the mode allows: the background write or replication must finish first. */
  minIntervalSeconds: Figure;
  reloadSeconds: Figure;
  restartSeconds: Figure;
}

export function checkpointCosts(input: {
  parameters: number;
  chips: number;
  mode: CheckpointMode;
  hotSpares: boolean;
  /** Scale-out bandwidth per chip, one direction, bytes/s (peer replication). */
  peerBytesPerSecond: number;
  data?: ReliabilityData;
}): CheckpointCosts {
  const data = input.data ?? builtinReliabilityData();
  const k = data.checkpoint;
  const bytesPerParam = sourcedFigure("checkpoint bytes per parameter", k.bytesPerParameter, "B");
  const storageWrite = sourcedFigure("storage write bandwidth", k.storageWriteTBps, "B/s", 1e12);
  const storageRead = sourcedFigure("storage read bandwidth", k.storageReadTBps, "B/s", 1e12);
  const perChipWrite = sourcedFigure("checkpoint write bandwidth per chip", k.writeGBpsPerChip, "B/s", 1e9);
  const hostCopy = sourcedFigure("device-to-host copy bandwidth per chip", k.hostCopyGBpsPerChip, "B/s", 1e9);
  const bytes = input.parameters * k.bytesPerParameter.value;
  const bytesPerChip = bytes / input.chips;
  const checkpointBytes = computedFigure(bytes, "B", [bytesPerParam], "parameters × bytes per parameter");

  const storageWriteSeconds = Math.max(bytes / storageWrite.value!, bytesPerChip / perChipWrite.value!);
  const storageReadSeconds = Math.max(bytes / storageRead.value!, bytesPerChip / perChipWrite.value!);
  const peerSeconds = bytesPerChip / input.peerBytesPerSecond;
  const copySeconds = bytesPerChip / hostCopy.value!;
  const storageInputs = [checkpointBytes, storageWrite, perChipWrite];

  let blockingSeconds: Figure;
  let minIntervalSeconds: Figure;
  let reloadSeconds: Figure;
  if (input.mode === "sync") {
    blockingSeconds = computedFigure(
      storageWriteSeconds,
      "s",
      storageInputs,
      "max(bytes / storage bandwidth, bytes per chip / chip write bandwidth)",
    );
    minIntervalSeconds = computedFigure(0, "s", []);
  } else if (input.mode === "async") {
    blockingSeconds = computedFigure(copySeconds, "s", [checkpointBytes, hostCopy], "bytes per chip / device-to-host bandwidth");
    minIntervalSeconds = computedFigure(storageWriteSeconds, "s", storageInputs, "the background write to storage");
  } else {
    blockingSeconds = computedFigure(copySeconds, "s", [checkpointBytes, hostCopy], "bytes per chip / device-to-host bandwidth");
    minIntervalSeconds = computedFigure(
      peerSeconds,
      "s",
      [checkpointBytes],
      "bytes per chip / scale-out bandwidth per chip (replication to a peer)",
    );
  }
  if (input.mode === "in-memory")
    reloadSeconds = computedFigure(peerSeconds, "s", [checkpointBytes], "bytes per chip / scale-out bandwidth per chip");
  else
    reloadSeconds = computedFigure(
      storageReadSeconds,
      "s",
      [checkpointBytes, storageRead, perChipWrite],
      "max(bytes / storage read bandwidth, bytes per chip / chip bandwidth)",
    );

  const r = data.restart;
  const detection = sourcedFigure("failure detection time", r.detectionSeconds, "s");
  const replace = input.hotSpares
    ? sourcedFigure("hot-spare swap time", r.spareSwapSeconds, "s")
    : sourcedFigure("rescheduling time", r.rescheduleSeconds, "s");
  const init = sourcedFigure("job initialization time", r.initSeconds, "s");
  const restartSeconds = computedFigure(
    detection.value! + replace.value! + init.value! + reloadSeconds.value!,
    "s",
    [detection, replace, init, reloadSeconds],
    `detection + ${input.hotSpares ? "hot-spare swap" : "rescheduling"} + initialization + reload`,
  );
  return { checkpointBytes, blockingSeconds, minIntervalSeconds, reloadSeconds, restartSeconds };
}
