#!/usr/bin/env bash
# Benchmark git-rollback against git on a clone of a real repository (run by
# hand, not in CI). Usage: bench/real.sh CLONE [RUNS]
#   CLONE  a work tree to use (it is reset: use a scratch clone, e.g.
#          `git clone https://github.com/babel/babel /tmp/babel`)
#   RUNS   timed runs per command; the best (minimum) is reported (default 7)
#   FAR    (env) also restore the 200 paths from a checkpoint this many
#          commits back (default 400; skipped when history is shorter)
# Before each run: 200 tracked files (names without spaces) get a line
# appended and the index stat data is refreshed. Prints a Markdown table.
set -euo pipefail
clone=$(cd "${1:?usage: bench/real.sh CLONE [RUNS]}" && pwd)
runs=${2:-7}
here=$(cd "$(dirname "$0")/.." && pwd)
# Builds the tool ($bin), sets a fixed identity and no global config.
source "$here/bench/lib.sh"
cd "$clone"
git reset -q --hard && git clean -qfd
"$bin" -q checkpoint bench-base --force
mapfile -t paths < <(git ls-files | grep -v ' ' | awk 'NR % 50 == 1' | head -200)

dirty() {
  git reset -q --hard
  git clean -qfd
  for f in "${paths[@]}"; do echo "// bench" >> "$f"; done
  git update-index -q --refresh >/dev/null || true
}


# A checkpoint far back: what the paths differ in there is planned, not
# everything that differs between the two commits.
far=$(git rev-parse -q --verify "HEAD~${FAR:-400}" || true)
if [ -n "$far" ]; then
  branch=$(git symbolic-ref --short HEAD)
  git checkout -q --detach "$far"
  "$bin" -q checkpoint bench-far --force
  git checkout -q "$branch"
  t_files_far=$(best_of dirty "$bin" files --no-test --from bench-far -- "${paths[@]}")
  t_restore_far=$(best_of dirty git restore --source="$far" --staged --worktree -- "${paths[@]}")
fi

t_files=$(best_of dirty "$bin" files --no-test --from bench-base -- "${paths[@]}")
t_restore=$(best_of dirty git restore --source=HEAD -- "${paths[@]}")
t_restore_both=$(best_of dirty git restore --source=HEAD --staged --worktree -- "${paths[@]}")
t_to=$(best_of dirty "$bin" to bench-base)
t_reset=$(best_of dirty git reset -q --hard)
# What `to` does to the work tree: untracked files not in the checkpoint go too.
t_reset_clean=$(best_of dirty sh -c 'git reset -q --hard && git clean -qfd')
# git's own way to keep the work before putting it back (what the tool's
# safety snapshot does): stash the paths, or everything with untracked files.
t_stash_paths=$(best_of dirty git stash push -q -- "${paths[@]}")
t_stash_all=$(best_of dirty git stash push -q --include-untracked)
git stash clear
git reset -q --hard

echo
echo "$(basename "$clone"): $(git ls-files | wc -l) tracked files, 200 modified; best of $runs runs; $(nproc) cores"
echo
echo "| command | seconds | git equivalent | seconds | ratio |"
echo "|---|---|---|---|---|"
echo "| \`git rollback files\` (200 paths) | $t_files | \`git restore --source=<rev> -- <paths>\` | $t_restore | $(ratio "$t_files" "$t_restore") |"
echo "| \`git rollback files\` (200 paths) | $t_files | \`git restore --source=<rev> --staged --worktree\` | $t_restore_both | $(ratio "$t_files" "$t_restore_both") |"
echo "| \`git rollback to\` | $t_to | \`git reset --hard\` | $t_reset | $(ratio "$t_to" "$t_reset") |"
echo "| \`git rollback to\` | $t_to | \`git reset --hard && git clean -fd\` | $t_reset_clean | $(ratio "$t_to" "$t_reset_clean") |"
echo "| \`git rollback files\` (200 paths) | $t_files | \`git stash push -- <paths>\` (saves, then restores them) | $t_stash_paths | $(ratio "$t_files" "$t_stash_paths") |"
echo "| \`git rollback to\` | $t_to | \`git stash push --include-untracked\` | $t_stash_all | $(ratio "$t_to" "$t_stash_all") |"
if [ -n "$far" ]; then
  echo "| \`git rollback files\` (200 paths, checkpoint ${FAR:-400} commits back) | $t_files_far | \`git restore --source=<rev> --staged --worktree\` | $t_restore_far | $(ratio "$t_files_far" "$t_restore_far") |"
fi
