# Shared by the bench/ scripts (sourced): timing and ratios.

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
