// Which shard this process runs: from flags, or (--shard auto) from the batch system's environment.
//   Kubernetes Indexed Job: JOB_COMPLETION_INDEX (0-based); the count from --shard-count or
//     ULTRASIM_SHARD_COUNT (a Job does not expose its completions to its pods).
//   AWS Batch array job: AWS_BATCH_JOB_ARRAY_INDEX (0-based), AWS_BATCH_JOB_ARRAY_SIZE where set, else
//     --shard-count or ULTRASIM_SHARD_COUNT.
//   Slurm job array: SLURM_ARRAY_TASK_ID less SLURM_ARRAY_TASK_MIN (arrays often start at 1), over
//     SLURM_ARRAY_TASK_STEP; the count from SLURM_ARRAY_TASK_COUNT.
import { UltrasimError } from "../../engine/errors.js";

export interface Shard {
  index: number;
  count: number;
  /** Where the index came from, for the log. */
  source: string;
}

export interface ShardFlags {
  shard?: string;
  shardIndex?: string;
  shardCount?: string;
}

function integer(text: string | undefined, name: string, min: number): number | undefined {
  if (text === undefined || text === "") return undefined;
  const value = Number(text);
  if (!Number.isInteger(value) || value < min)
    throw new UltrasimError("INVALID_INPUT", `must be a whole number ≥ ${min}, got '${text}'`, { field: name });
  return value;
}

function checked(index: number, count: number, source: string): Shard {
  if (index >= count)
    throw new UltrasimError("INVALID_INPUT", `shard index ${index} is not below the shard count ${count}`, { field: source });
  return { index, count, source };
}

export function shardFromEnvironment(flags: ShardFlags, env: NodeJS.ProcessEnv = process.env): Shard {
  const flagCount = integer(flags.shardCount, "--shard-count", 1);
  const flagIndex = integer(flags.shardIndex, "--shard-index", 0);
  if (flags.shard === undefined || flags.shard === "none") {
    if (flagIndex === undefined && flagCount === undefined) return { index: 0, count: 1, source: "one machine" };
    if (flagIndex === undefined || flagCount === undefined)
      throw new UltrasimError("INVALID_INPUT", "give both --shard-index and --shard-count (or --shard auto)", {
        field: flagIndex === undefined ? "--shard-index" : "--shard-count",
      });
    return checked(flagIndex, flagCount, "--shard-index");
  }
  if (flags.shard !== "auto") throw new UltrasimError("INVALID_INPUT", `must be 'auto', got '${flags.shard}'`, { field: "--shard" });
  const count = (name: string, fallback?: number) => {
    const n = fallback ?? flagCount ?? integer(env.ULTRASIM_SHARD_COUNT, "ULTRASIM_SHARD_COUNT", 1);
    if (n === undefined)
      throw new UltrasimError(
        "INVALID_INPUT",
        `${name} gives the shard index but not the count: give --shard-count or set ULTRASIM_SHARD_COUNT`,
        {
          field: "--shard-count",
        },
      );
    return n;
  };
  const k8s = integer(env.JOB_COMPLETION_INDEX, "JOB_COMPLETION_INDEX", 0);
  if (k8s !== undefined) return checked(k8s, count("JOB_COMPLETION_INDEX"), "JOB_COMPLETION_INDEX");
  const aws = integer(env.AWS_BATCH_JOB_ARRAY_INDEX, "AWS_BATCH_JOB_ARRAY_INDEX", 0);
  if (aws !== undefined)
    return checked(
      aws,
      count("AWS_BATCH_JOB_ARRAY_INDEX", integer(env.AWS_BATCH_JOB_ARRAY_SIZE, "AWS_BATCH_JOB_ARRAY_SIZE", 1)),
      "AWS_BATCH_JOB_ARRAY_INDEX",
    );
  const slurm = integer(env.SLURM_ARRAY_TASK_ID, "SLURM_ARRAY_TASK_ID", 0);
  if (slurm !== undefined) {
    const min = integer(env.SLURM_ARRAY_TASK_MIN, "SLURM_ARRAY_TASK_MIN", 0) ?? 0;
    const step = integer(env.SLURM_ARRAY_TASK_STEP, "SLURM_ARRAY_TASK_STEP", 1) ?? 1;
    if ((slurm - min) % step !== 0 || slurm < min)
      throw new UltrasimError("INVALID_INPUT", `SLURM_ARRAY_TASK_ID ${slurm} is not on the array MIN ${min}, STEP ${step}`, {
        field: "SLURM_ARRAY_TASK_ID",
      });
    return checked(
      (slurm - min) / step,
      count("SLURM_ARRAY_TASK_ID", integer(env.SLURM_ARRAY_TASK_COUNT, "SLURM_ARRAY_TASK_COUNT", 1)),
      "SLURM_ARRAY_TASK_ID",
    );
  }
  throw new UltrasimError(
    "INVALID_INPUT",
    "--shard auto found no shard index: set JOB_COMPLETION_INDEX (Kubernetes), AWS_BATCH_JOB_ARRAY_INDEX (AWS Batch) or SLURM_ARRAY_TASK_ID (Slurm), or give --shard-index and --shard-count",
    { field: "--shard" },
  );
}
