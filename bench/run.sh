#!/usr/bin/env bash
# Benchmark git-rollback against git on a generated repository (run by hand,
# not in CI). Usage: bench/run.sh [FILES] [RUNS]
#   FILES  tracked files in the generated repository (default 100000)
#   RUNS   timed runs per command; the best (minimum) is reported (default 5)
# Each run starts from the same state: 100 modified tracked files and 100
# untracked files, index stat data fresh. Prints a Markdown table of seconds
# and ratios (ours / git's).
set -euo pipefail
files=${1:-100000}
runs=${2:-5}
here=$(cd "$(dirname "$0")/.." && pwd)
# Builds the tool ($bin), sets a fixed identity and no global config.
source "$here/bench/lib.sh"
work=${BENCH_DIR:-/tmp/git-rollback-bench}/repo-$files

generated_repo "$files" "$work"
cd "$work"
git reset -q --hard main && git clean -qfd
"$bin" -q checkpoint bench-base --force

dirty() {
  git reset -q --hard main
  git clean -qfd
  find d000/s01 -name '*.txt' | head -100 | while read -r f; do echo "modified" >> "$f"; done
  mkdir -p untracked && for i in $(seq 1 100); do echo "new $i" > "untracked/u$i.txt"; done
  git update-index -q --refresh >/dev/null || true
}

noop() { :; }

dirty
t_checkpoint=$(best_of noop "$bin" checkpoint bench-dirty --force)
t_stash=$(best_of noop git stash create)
t_status=$(best_of noop git status --porcelain -uall)
t_to=$(best_of dirty "$bin" to bench-base)
t_reset=$(best_of dirty git reset -q --hard)
t_reset_clean=$(best_of dirty sh -c 'git reset -q --hard && git clean -qfd')

echo
echo "$files tracked files, 100 modified, 100 untracked; best of $runs runs; $(nproc) cores"
echo
echo "| command | seconds | git equivalent | seconds | ratio |"
echo "|---|---|---|---|---|"
echo "| \`git rollback checkpoint\` (dirty) | $t_checkpoint | \`git stash create\` | $t_stash | $(ratio "$t_checkpoint" "$t_stash") |"
echo "| \`git rollback checkpoint\` (dirty) | $t_checkpoint | \`git status --porcelain -uall\` | $t_status | $(ratio "$t_checkpoint" "$t_status") |"
echo "| \`git rollback to\` | $t_to | \`git reset --hard\` | $t_reset | $(ratio "$t_to" "$t_reset") |"
echo "| \`git rollback to\` | $t_to | \`git reset --hard && git clean -fd\` | $t_reset_clean | $(ratio "$t_to" "$t_reset_clean") |"

# files: restore 1,000 modified paths, against git restore from the same commit.
dirty_1000() {
  git reset -q --hard main
  git clean -qfd
  find d000/s0[0-9] -name '*.txt' | while read -r f; do echo "modified" >> "$f"; done
  git update-index -q --refresh >/dev/null || true
}
mapfile -t paths < <(find d000/s0[0-9] -name '*.txt' | sort)
t_files=$(best_of dirty_1000 "$bin" files --no-test --from bench-base -- "${paths[@]}")
t_restore=$(best_of dirty_1000 git restore --source=main -- "${paths[@]}")
t_restore_both=$(best_of dirty_1000 git restore --source=main --staged --worktree -- "${paths[@]}")
echo "| \`git rollback files\` (${#paths[@]} paths) | $t_files | \`git restore --source=<rev> -- <paths>\` | $t_restore | $(ratio "$t_files" "$t_restore") |"
echo "| \`git rollback files\` (${#paths[@]} paths) | $t_files | \`git restore --source=<rev> --staged --worktree\` | $t_restore_both | $(ratio "$t_files" "$t_restore_both") |"
