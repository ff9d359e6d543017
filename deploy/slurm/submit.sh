#!/bin/sh
# Submits an upstream run as a Slurm array job of N shards and a merge job
# that starts when every shard has succeeded. Run from the folder the
# scenario file's paths are relative to, on a file system every node sees:
#   SCENARIO=scenarios/bench-areas.toml DRAWS=1000 SHARDS=8 deploy/slurm/submit.sh
# Optional: PARTS (default parts/<stem>), OUT (default out/<stem>), SEED,
# UPSTREAM, MERGE_FLAGS, and SBATCH_FLAGS (e.g. "--partition=short --time=1:00:00").
set -eu
: "${SCENARIO:?set SCENARIO}" "${DRAWS:?set DRAWS}" "${SHARDS:?set SHARDS}"
stem=$(basename "$SCENARIO" .toml)
export SCENARIO DRAWS SHARDS
export PARTS="${PARTS:-parts/$stem}" OUT="${OUT:-out/$stem}"
here=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck disable=SC2086
shards=$(sbatch --parsable --export=ALL --job-name="upstream-$stem" --array="1-$SHARDS" \
  --cpus-per-task=2 ${SBATCH_FLAGS:-} --wrap="$here/run-shard.sh")
# shellcheck disable=SC2086
merge=$(sbatch --parsable --export=ALL --job-name="upstream-$stem-merge" \
  --dependency="afterok:$shards" ${SBATCH_FLAGS:-} --wrap="$here/merge.sh")
echo "submitted shards as job $shards (array 1-$SHARDS) and the merge as job $merge; results in $OUT"
