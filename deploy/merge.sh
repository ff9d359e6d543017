#!/bin/sh
# Joins the parts written by deploy/run-shard.sh into the results of the
# whole run (the same summary.csv, byte for byte, as one `upstream run`).
#   PARTS  the folder holding part-1 … part-N
#   SHARDS optional: N (then exactly part-1 … part-N are merged)
#   OUT    the results folder
#   UPSTREAM, and MERGE_FLAGS (e.g. "--report --draws-csv"), optional
set -eu
: "${UPSTREAM:=upstream}"
: "${PARTS:?set PARTS to the folder holding the parts}"
: "${OUT:?set OUT to the results folder}"
# With SHARDS set, exactly part-1 … part-SHARDS (leftovers of an earlier
# run with more shards are not picked up); otherwise every part-*.
if [ -n "${SHARDS:-}" ]; then
  set --
  i=1
  while [ "$i" -le "$SHARDS" ]; do
    set -- "$@" "$PARTS/part-$i"
    i=$((i + 1))
  done
else
  set -- "$PARTS"/part-*
fi
# shellcheck disable=SC2086
exec "$UPSTREAM" merge "$@" --out "$OUT" ${MERGE_FLAGS:-}
