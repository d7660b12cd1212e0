# Shared by the bench/ scripts (sourced, with $here the project root):
# the release build, a fixed identity without global config, timing, ratios
# and the generated repository.

cargo build --release --quiet --manifest-path "$here/Cargo.toml"
bin="$here/target/release/git-rollback"
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null
export GIT_AUTHOR_NAME=Bench GIT_AUTHOR_EMAIL=bench@example.com
export GIT_COMMITTER_NAME=Bench GIT_COMMITTER_EMAIL=bench@example.com

# best_of SETUP COMMAND...: the minimum wall time in seconds over $runs runs
# of COMMAND, each after SETUP (untimed).
best_of() {
  local setup=$1; shift
  local best=""
  for _ in $(seq 1 "$runs"); do
    $setup
    local start end
    start=$(date +%s%N)
    "$@" >/dev/null 2>&1
    end=$(date +%s%N)
    local t=$(( (end - start) / 1000 ))
    if [ -z "$best" ] || [ "$t" -lt "$best" ]; then best=$t; fi
  done
  printf '%d.%06d' $((best / 1000000)) $((best % 1000000))
}

# ratio A B: A / B with two decimals.
ratio() { awk "BEGIN{printf \"%.2f\", $1/$2}"; }

# generated_repo FILES DIR: a repository of FILES small text files (100 per
# directory) with one commit on main, made once and reused.
generated_repo() {
  local files=$1 dir=$2
  [ -d "$dir/.git" ] && return
  echo "generating $files files in $dir" >&2
  rm -rf "$dir" && mkdir -p "$dir"
  (
    cd "$dir"
    git init -q -b main .
    python3 - "$files" <<'PY'
import os, sys
n = int(sys.argv[1])
per_dir = 100
for i in range(n):
    d = f"d{i // per_dir // 100:03d}/s{i // per_dir % 100:02d}"
    if i % per_dir == 0:
        os.makedirs(d, exist_ok=True)
    with open(f"{d}/f{i}.txt", "w") as f:
        f.write(f"file {i}\n" + "content line\n" * 20)
PY
    git add -A && git commit -q -m "generated"
  )
}
