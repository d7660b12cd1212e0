#!/usr/bin/env bash
# Kill `git rollback` (SIGKILL) at many points of `to`, `files` and `undo` on
# a tree with thousands of changed files, and check that after each kill one
# `git rollback undo` (or nothing, when the kill came before the operation
# recorded anything) gives back every byte, the index, HEAD and the refs,
# and that `git commit` works. Run by hand, not in CI.
# Usage: bench/kill.sh [FILES]   (default 3000 files, a third changed)
# Kill points: every phase (src/trace.rs), "apply: deleted a file#N" and
# "apply: unlinked a file#N" (a file to be rewritten, gone until its write).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
files=${1:-3000}
# Builds the tool ($bin), sets a fixed identity and no global config.
source "$here/bench/lib.sh"
work=${BENCH_DIR:-/tmp/git-rollback-bench}/kill
rm -rf "$work" && mkdir -p "$work" && cd "$work"
git init -q -b main . && git config gc.auto 0
echo '*.log' > .gitignore
for i in $(seq 1 "$files"); do d=dir$((i % 20)); mkdir -p "$d"; echo "file $i" > "$d/f$i.txt"; done
git add -A && git commit -q -m base
"$bin" -q checkpoint base
# A third of the files changed, a third new (committed), some staged, some
# untracked and ignored files on top.
for i in $(seq 1 3 "$files"); do echo "changed $i" >> "dir$((i % 20))/f$i.txt"; done
for i in $(seq 1 3 "$files"); do echo "new $i" > "dir$((i % 20))/new$i.txt"; done
git add -A && git commit -q -m later
for i in $(seq 2 30 "$files"); do echo "unstaged $i" >> "dir$((i % 20))/f$i.txt"; done
for i in $(seq 3 30 "$files"); do echo "staged $i" >> "dir$((i % 20))/f$i.txt"; git add "dir$((i % 20))/f$i.txt"; done
for i in $(seq 1 50); do echo "untracked $i" > "scratch$i.txt"; echo "ignored $i" > "debug$i.log"; done

state() {
  { find . -path ./.git -prune -o -type f -print0 | sort -z | xargs -0 sha256sum
    git ls-files -s
    git symbolic-ref -q HEAD || true
    git rev-parse HEAD
    git for-each-ref --format='%(objectname) %(refname)' | grep -v -e ' refs/rollback/' -e ' refs/notes/rollback$'
  } | sha256sum
}

phases=("capture: trees" "plan" "checked: in the way" "checked: changed since" "snapshot ref written"
        "recorded" "apply: deletions" "apply: checkout" "apply: index written" "head moved" "result recorded")
for n in 1 2 10 100 300 700 1000; do phases+=("apply: deleted a file#$n" "apply: unlinked a file#$n"); done

tried=0 passed=0 unreached=0
try() { # try POINT ARGS...
  local point=$1; shift
  local before ledger rc
  before=$(state)
  ledger=$(git rev-parse refs/notes/rollback)
  set +e
  GIT_ROLLBACK_TEST_KILL_AT="$point" "$bin" -q "$@" 2>/dev/null
  rc=$?
  set -e
  if [ "$rc" -ne 137 ]; then
    unreached=$((unreached + 1))
    "$bin" -q undo "$("$bin" log -n 2 --json | python3 -c 'import json,sys; print(next(e["id"] for e in json.load(sys.stdin) if e["kind"] != "result"))')"
    return
  fi
  tried=$((tried + 1))
  if [ "$(git rev-parse refs/notes/rollback)" != "$ledger" ]; then
    if [ "$point" = "result recorded" ]; then
      "$bin" -q undo "$("$bin" log -n 2 --json | python3 -c 'import json,sys; print(next(e["id"] for e in json.load(sys.stdin) if e["kind"] != "result"))')" 2>/dev/null
    else
      "$bin" -q undo 2>/dev/null
    fi
  else
    "$bin" -q undo --dry-run >/dev/null 2>&1 || true
  fi
  if [ "$(state)" = "$before" ] && git commit -q --allow-empty -m probe && git reset -q --soft HEAD~1 \
     && git fsck --no-progress >/dev/null 2>&1; then
    passed=$((passed + 1))
  else
    echo "FAILED: $* killed at '$point'" >&2
  fi
}
for point in "${phases[@]}"; do try "$point" to base; done
for point in "${phases[@]}"; do try "$point" files dir1 dir2 --from base --no-test; done
"$bin" -q to base
for point in "${phases[@]}"; do try "$point" undo; done
echo "files: $files; kill points reached: $tried, recovered exactly: $passed; not reached (operation finished): $unreached"
[ "$tried" = "$passed" ]
