#!/bin/sh
# Joins the parts written by deploy/run-shard.sh into the results of the
# whole run (the same summary.csv, byte for byte, as one `upstream run`).
#   PARTS  the folder holding part-1 … part-N
#   OUT    the results folder
#   UPSTREAM, and MERGE_FLAGS (e.g. "--report --draws-csv"), optional
set -eu
: "${UPSTREAM:=upstream}"
: "${PARTS:?set PARTS to the folder holding the parts}"
: "${OUT:?set OUT to the results folder}"
# shellcheck disable=SC2086
exec "$UPSTREAM" merge "$PARTS"/part-* --out "$OUT" ${MERGE_FLAGS:-}
