#!/usr/bin/env bash
# How `sync` scales with the number of checkpoints (run by hand, not in CI).
# Usage: bench/sync.sh [N]   (default 10000 checkpoints, made by the tool)
# A clone with N checkpoints (2 events each: a checkpoint and, every second
# one, a `to` with its result) syncs with an empty bare remote on the same
# disk (first sync: everything goes up), then again (nothing new), then a
# second clone adds a checkpoint and syncs, the first adds one and syncs (a
# merge of the two logs), and `log -n 20` reads through that merge; last,
# `git push` of the same refs to another empty remote, for comparison.
# Prints one line per step: seconds (single runs; the first sync is long).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
n=${1:-10000}
# Builds the tool ($bin), sets a fixed identity and no global config.
source "$here/bench/lib.sh"
work=${BENCH_DIR:-/tmp/git-rollback-bench}/sync-$n
rm -rf "$work" && mkdir -p "$work" && cd "$work"
git init -q -b main a && cd a && echo a > a && git add a && git commit -q -m first
git config gc.auto 0
echo "making $n checkpoints" >&2
for i in $(seq 1 "$n"); do
  "$bin" -q checkpoint "c$i"
  if [ $((i % 2)) = 0 ]; then
    echo "$i" > a
    "$bin" -q to c1
  fi
done
git init -q --bare -b main ../remote.git
git remote add origin ../remote.git
git push -q origin main

time_of() {
  local start end
  start=$(date +%s%N)
  "$@" >/dev/null 2>&1
  end=$(date +%s%N)
  local t=$(( (end - start) / 1000 ))
  printf '%d.%06d' $((t / 1000000)) $((t % 1000000))
}

echo "| step | seconds |"
echo "|---|---|"
echo "| first sync ($n checkpoints, ~$((2 * n)) events up) | $(time_of "$bin" sync) |"
echo "| sync again (nothing new) | $(time_of "$bin" sync) |"
git clone -q ../remote.git ../b
(cd ../b && "$bin" -q checkpoint from-b && "$bin" -q sync)
"$bin" -q checkpoint from-a
echo "| sync merging one event of each side | $(time_of "$bin" sync) |"
runs=5
noop() { :; }
echo "| \`log -n 20\` after the merge (best of 5) | $(best_of noop "$bin" log -n 20) |"
echo "| \`git log --notes=rollback -n 20\` (best of 5) | $(best_of noop git log --notes=rollback -n 20) |"
git init -q --bare ../remote2.git
echo "| git alone: \`git push\` of the same refs to an empty remote | $(time_of git push -q ../remote2.git "refs/tags/checkpoint/*:refs/tags/checkpoint/*" refs/notes/rollback:refs/notes/rollback) |"
