#!/bin/sh
# One shard of an upstream Monte Carlo run, under a batch engine:
#   Slurm array job:          shard = SLURM_ARRAY_TASK_ID (1..N)
#   Kubernetes Indexed Job:   shard = JOB_COMPLETION_INDEX + 1 (0..N-1)
# Settings (environment):
#   SCENARIO  the scenario file (a path that is the same on every node)
#   DRAWS     Monte Carlo draws of the whole run
#   SHARDS    number of shards (under Slurm, defaults to the array size)
#   PARTS     folder for the parts (shared by every node)
#   SEED      optional; default the file's [monte_carlo] seed
#   UPSTREAM  the upstream binary (default: upstream on PATH)
# Each shard writes PARTS/part-I; deploy/merge.sh joins them.
set -eu
: "${UPSTREAM:=upstream}"
: "${SCENARIO:?set SCENARIO to the scenario file}"
: "${DRAWS:?set DRAWS to the number of draws of the whole run}"
: "${PARTS:?set PARTS to the shared folder for the parts}"
if [ -n "${SLURM_ARRAY_TASK_ID:-}" ]; then
  I=$SLURM_ARRAY_TASK_ID
  N=${SHARDS:-${SLURM_ARRAY_TASK_COUNT:?set SHARDS}}
elif [ -n "${JOB_COMPLETION_INDEX:-}" ]; then
  I=$((JOB_COMPLETION_INDEX + 1))
  N=${SHARDS:?set SHARDS to the number of shards}
else
  echo "run-shard.sh: neither SLURM_ARRAY_TASK_ID nor JOB_COMPLETION_INDEX is set; run it as a Slurm array task or a Kubernetes Indexed Job" >&2
  exit 2
fi
mkdir -p "$PARTS"
if [ -n "${SEED:-}" ]; then
  exec "$UPSTREAM" run "$SCENARIO" --draws "$DRAWS" --seed "$SEED" --shard "$I/$N" --out "$PARTS/part-$I"
fi
exec "$UPSTREAM" run "$SCENARIO" --draws "$DRAWS" --shard "$I/$N" --out "$PARTS/part-$I"
