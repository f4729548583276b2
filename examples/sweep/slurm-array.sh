#!/bin/bash
# A sweep as a Slurm job array: 10 tasks, one shard each, on a shared file system.
#   sbatch examples/sweep/slurm-array.sh
#   npx ultrasim sweep status results/      # lists missing shards; resubmit those: sbatch --array=3,7 ...
#   npx ultrasim sweep merge results/
# Slurm sets SLURM_ARRAY_TASK_ID, _MIN and _COUNT; the shard index is the task id less the minimum,
# so --array=1-10 works as well as 0-9. A requeued or resubmitted task resumes from its shard's log.
#SBATCH --job-name=ultrasim-sweep
#SBATCH --array=0-9
#SBATCH --cpus-per-task=16
#SBATCH --mem=16G
#SBATCH --time=02:00:00
#SBATCH --output=logs/sweep-%A_%a.out
set -euo pipefail
cd "${SLURM_SUBMIT_DIR}"
npx ultrasim sweep run examples/sweep/capacity.yaml --out results/ --shard auto --workers "${SLURM_CPUS_PER_TASK}" --quiet
