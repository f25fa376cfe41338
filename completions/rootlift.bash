# bash completion for rootlift(8). Commands, subcommands and options are
# read from the program's own help when TAB is pressed (`rootlift --help`,
# `rootlift help COMMAND`), so they always match the installed binary;
# anything else (sizes, paths, devices) falls back to file names.
# tests/completion.rs checks it against the help.

_rootlift() {
    local cur=${COMP_WORDS[COMP_CWORD]} prog=${COMP_WORDS[0]} cmd="" i words=""
    [[ -x $prog ]] || prog=rootlift
    # The command is the first word after the program that is no option.
    for ((i = 1; i < COMP_CWORD; i++)); do
        [[ ${COMP_WORDS[i]} == -* ]] && continue
        cmd=${COMP_WORDS[i]}
        break
    done
    if [[ -z $cmd && $cur == -* ]]; then
        words="--help --version"
    elif [[ -z $cmd ]]; then
        # Lines "  NAME ..." of the usage name the commands.
        words=$("$prog" --help 2>/dev/null | sed -n 's/^  \([a-z][a-z0-9-]*\).*/\1/p' | grep -vx rootlift)
    elif [[ $cur == -* ]]; then
        words=$("$prog" help "$cmd" 2>/dev/null | grep -o -- '--[a-z][a-z0-9-]*' | sort -u)
    elif ((i == COMP_CWORD - 1)); then
        # Right after the command: its subcommands, from help lines
        # "  COMMAND sub1|sub2 ..." (dm); none for the other commands.
        words=$("$prog" help "$cmd" 2>/dev/null \
            | sed -n "s/^  $cmd \([a-z][a-z|-]*\)\( .*\)\{0,1\}$/\1/p" | tr '|' '\n')
    fi
    # shellcheck disable=SC2207  # the words have no spaces
    COMPREPLY=($(compgen -W "$words" -- "$cur"))
}
complete -o bashdefault -o default -F _rootlift rootlift
