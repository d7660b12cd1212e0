#!/usr/bin/env bash
# Benchmark `git rollback backup` against tar, gzip and pigz (run by hand, not
# in CI; needs pigz: apt-get install pigz). Usage: bench/backup.sh [KIND] [RUNS]
#   KIND  mixed  20,000 files, ~200 MB: text plus a few random binaries (default)
#         many   the 100,000-file repository of bench/run.sh
#         large  a few 100 MB files (half text, half random)
# Set BENCH_OUT to choose where archives and restores are written.
# Prints a Markdown table: best of RUNS seconds, ratios, archive sizes, peak memory.
set -euo pipefail
kind=${1:-mixed}
runs=${2:-3}
here=$(cd "$(dirname "$0")/.." && pwd)
# Builds the tool ($bin), sets a fixed identity and no global config.
source "$here/bench/lib.sh"
base=${BENCH_DIR:-/tmp/git-rollback-bench}
work=$base/backup-$kind

if [ ! -d "$work/.git" ]; then
  echo "generating $kind in $work" >&2
  rm -rf "$work" && mkdir -p "$work" && cd "$work" && git init -q -b main .
  python3 - "$kind" <<'PY'
import os, random, sys
kind = sys.argv[1]
random.seed(7)
words = [("w%d" % i) for i in range(5000)]
def text(n):
    out, size = [], 0
    while size < n:
        line = " ".join(random.choice(words) for _ in range(12)) + "\n"
        out.append(line); size += len(line)
    return "".join(out)
if kind == "mixed":
    chunk = text(1 << 20)
    for i in range(20000):
        d = f"src/m{i // 200:03d}"
        os.makedirs(d, exist_ok=True)
        start = (i * 7919) % (len(chunk) - 8000)
        with open(f"{d}/f{i}.txt", "w") as f:
            f.write(chunk[start:start + 7000 + i % 1000])
    os.makedirs("bin", exist_ok=True)
    for i in range(4):
        with open(f"bin/blob{i}.bin", "wb") as f:
            f.write(os.urandom(15 << 20))
elif kind == "many":
    for i in range(100000):
        d = f"d{i // 10000:03d}/s{i // 100 % 100:02d}"
        os.makedirs(d, exist_ok=True)
        with open(f"{d}/f{i}.txt", "w") as f:
            f.write(f"file {i}\n" + "content line\n" * 20)
elif kind == "large":
    chunk = text(4 << 20)
    for i in range(3):
        with open(f"text{i}.log.txt", "w") as f:
            for _ in range(25):
                f.write(chunk)
        with open(f"random{i}.bin", "wb") as f:
            f.write(os.urandom(100 << 20))
PY
  git add -A && git commit -q -m generated
fi
cd "$work"
# Archives and restores go to a tmpfs when there is one: on disk, page-cache
# writeback from earlier runs makes single timings vary by 2-5x here.
out=${BENCH_OUT:-$( [ -d /dev/shm ] && echo /dev/shm/git-rollback-bench || echo "$base")}/out-$kind
rm -rf "$out" && mkdir -p "$out"
trap 'rm -rf "$out"' EXIT

# best COMMAND...: minimum wall seconds over $runs runs; the peak RSS (KiB)
# of the best run is left in $out/rss.
best() {
  local best="" t r
  for _ in $(seq 1 "$runs"); do
    /usr/bin/time -f '%e %M' -o "$out/time" "$@" >/dev/null 2>&1
    read -r t r < "$out/time"
    if [ -z "$best" ] || awk "BEGIN{exit !($t < $best)}"; then best=$t; echo "$r" > "$out/rss"; fi
  done
  echo "$best"
}
rss() { cat "$out/rss"; }
# Backups go outside the repository for a fair comparison with tar.
git config rollback.backupDir "$out/backups"
mkdir -p "$out/backups"
sync
t_create=$(best sh -c "rm -f '$out'/backups/*; '$bin' -q backup create"); m_create=$(rss)
id=$("$bin" backup list --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')
archive="$out/backups/$id.tar.gz"
t_tar=$(best sh -c "tar czf '$out/tar.tar.gz' --exclude=.git ."); m_tar=$(rss)
t_pigz=$(best sh -c "tar cf - --exclude=.git . | pigz -p2 > '$out/pigz.tar.gz'")
t_verify=$(best "$bin" -q backup verify "$id"); m_verify=$(rss)
t_sha=$(best sha256sum "$archive")
t_shatar=$(best sh -c "sha256sum '$archive' && tar tzf '$archive'")
t_restore=$(best sh -c "rm -rf '$out/r' && mkdir '$out/r' && '$bin' -q backup restore '$id' --into '$out/r'"); m_restore=$(rss)
t_untar=$(best sh -c "rm -rf '$out/x' && mkdir '$out/x' && tar xzf '$archive' -C '$out/x'")
size_ours=$(stat -c %s "$archive"); size_gzip=$(stat -c %s "$out/tar.tar.gz")
files=$(git ls-files | wc -l); bytes=$(du -sb --exclude=.git . | cut -f1)

echo
echo "$kind: $files files, $bytes bytes; best of $runs runs; $(nproc) cores"
echo
echo "| operation | seconds | compared with | seconds | ratio | peak RSS |"
echo "|---|---|---|---|---|---|"
echo "| \`backup create\` | $t_create | \`tar cf - \| pigz -p2\` | $t_pigz | $(ratio "$t_create" "$t_pigz") | $((m_create / 1024)) MiB |"
echo "| \`backup create\` | $t_create | \`tar czf\` | $t_tar | $(ratio "$t_create" "$t_tar") | |"
echo "| \`backup verify\` | $t_verify | \`sha256sum\` (archive only) | $t_sha | $(ratio "$t_verify" "$t_sha") | $((m_verify / 1024)) MiB |"
echo "| \`backup verify\` | $t_verify | \`sha256sum && tar tzf\` | $t_shatar | $(ratio "$t_verify" "$t_shatar") | |"
echo "| \`backup restore --into\` (verifies) | $t_restore | \`tar xzf\` | $t_untar | $(ratio "$t_restore" "$t_untar") | $((m_restore / 1024)) MiB |"
echo "| archive size | $size_ours | \`gzip -6\` (tar czf) | $size_gzip | $(ratio "$size_ours" "$size_gzip") | |"
