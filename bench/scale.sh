#!/usr/bin/env bash
# How `list`, `log -n 20` and `checkpoint` scale with the number of
# checkpoints and events (run by hand, not in CI).
# Usage: bench/scale.sh [N...]
#   N     numbers of checkpoints to measure at (default: 100 1000 10000).
#         Everything is made by the tool itself: N checkpoints and, after
#         every second one, a `to` (an operation and its result line), so the
#         ledger holds 2·N events.
# Each N is measured three times: as written (loose refs and objects), after
# `git pack-refs --all` (packed refs, loose objects), after `git repack -ad`. Prints a Markdown
# table: best of RUNS (env, default 5) seconds, beside
# `git for-each-ref refs/tags/checkpoint/` and `git log --notes=rollback -n 20`.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
runs=${RUNS:-5}
counts=()
for arg in "$@"; do counts+=("$arg"); done
[ ${#counts[@]} -gt 0 ] || counts=(100 1000 10000)
# Builds the tool ($bin), sets a fixed identity and no global config.
source "$here/bench/lib.sh"
work=${BENCH_DIR:-/tmp/git-rollback-bench}/scale
rm -rf "$work" && mkdir -p "$work" && cd "$work"
git init -q -b main . && echo a > a && git add a && git commit -q -m first
git config gc.auto 0
noop() { :; }

echo "| checkpoints | events | refs, objects | \`list\` | \`git for-each-ref\` | \`log -n 20\` | \`git log --notes -n 20\` | \`checkpoint\` |"
echo "|---|---|---|---|---|---|---|---|"
made=0
extra=0
one_more() { extra=$((extra + 1)); "$bin" -q checkpoint "extra-$extra"; }
measure() {
  local n=$1 state=$2 t_list t_refs t_log t_notes t_checkpoint
  # `list` remembers refs unchanged for more than 2 s (see RefsMemo):
  # measured as a user meets it, not right after the refs were written.
  sleep 2.1
  "$bin" list >/dev/null
  t_list=$(best_of noop "$bin" list)
  t_refs=$(best_of noop git for-each-ref refs/tags/checkpoint/)
  t_log=$(best_of noop "$bin" log -n 20)
  t_notes=$(best_of noop git log --notes=rollback -n 20)
  t_checkpoint=$(best_of noop one_more)
  echo "| $n | ~$((2 * n)) | $state | $t_list | $t_refs | $t_log | $t_notes | $t_checkpoint |"
}
for n in "${counts[@]}"; do
  while [ "$made" -lt "$n" ]; do
    made=$((made + 1))
    "$bin" -q checkpoint "c$made"
    if [ $((made % 2)) = 0 ]; then
      echo "$made" > a
      "$bin" -q to c1
    fi
  done
  measure "$n" "loose, loose"
  git pack-refs --all
  measure "$n" "packed, loose"
  git repack -adq
  measure "$n" "packed, packed"
done
