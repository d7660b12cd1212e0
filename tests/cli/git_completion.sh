source /usr/share/bash-completion/completions/git
source <("$BIN" completions bash)
complete_line() {
  COMP_LINE="$1"; COMP_POINT=${#COMP_LINE}
  read -ra COMP_WORDS <<< "$COMP_LINE"
  [ "${COMP_LINE: -1}" = " " ] && COMP_WORDS+=("")
  COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
  COMPREPLY=()
  __git_wrap__git_main
  printf '%s\n' "${COMPREPLY[@]}"
}
echo "== subcommands"; complete_line "git rollback checkp"
echo "== names"; complete_line "git rollback to "
echo "== flags"; complete_line "git rollback to --dr"
echo "== from"; complete_line "git rollback files --from b"
