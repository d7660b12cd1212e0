#!/usr/bin/env bash
# `to` with `* text=auto` against the same `to` without attributes (run by
# hand, not in CI): filters are looked up per written path, so the ratio
# should stay near 1. Usage: bench/attributes.sh [FILES] [RUNS]
set -euo pipefail
files=${1:-100000}
runs=${2:-7}
here=$(cd "$(dirname "$0")/.." && pwd)
# Builds the tool ($bin), sets a fixed identity and no global config.
source "$here/bench/lib.sh"
base=${BENCH_DIR:-/tmp/git-rollback-bench}
generated_repo "$files" "$base/repo-$files"
noop() { :; }

# Two clones of the generated repository: one gains `* text=auto`.
for kind in plain attributes; do
  rm -rf "$base/attr-$kind" && git clone -q --no-local "$base/repo-$files" "$base/attr-$kind"
  (
    cd "$base/attr-$kind"
    if [ "$kind" = attributes ]; then
      echo '* text=auto' > .gitattributes && git add .gitattributes && git commit -q -m attributes
    fi
    "$bin" -q checkpoint bench-base --force
  )
done
dirty() {
  git reset -q --hard && git clean -qfd
  find d000/s01 -name '*.txt' | head -100 | while read -r f; do echo "modified" >> "$f"; done
  mkdir -p untracked && for i in $(seq 1 100); do echo "new $i" > "untracked/u$i.txt"; done
  git update-index -q --refresh >/dev/null || true
}
t_plain=$(cd "$base/attr-plain" && best_of dirty "$bin" to bench-base)
t_attr=$(cd "$base/attr-attributes" && best_of dirty "$bin" to bench-base)
echo "| $files files, 100 modified + 100 untracked, best of $runs | \`to\` seconds |"
echo "|---|---|"
echo "| no attributes | $t_plain |"
echo "| \`* text=auto\` | $t_attr |"
echo "| ratio | $(ratio "$t_attr" "$t_plain") |"
