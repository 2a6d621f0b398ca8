namespace Hoard.Cli.Commands.Completion;

internal static class CompletionScripts
{
    private const string Bash = """
        _hoard_complete() {
            local IFS=$'\n'
            COMPREPLY=($(hoard "[suggest:${COMP_POINT}]" "${COMP_LINE}" 2>/dev/null))
        }
        complete -o default -F _hoard_complete hoard

        """;

    private const string Zsh = """
        #compdef hoard
        _hoard() {
            local -a candidates
            candidates=("${(@f)$(hoard "[suggest:${#BUFFER}]" "$BUFFER" 2>/dev/null)}")
            compadd -a candidates
        }
        compdef _hoard hoard

        """;

    private const string Fish = """
        function __hoard_complete
            set -l line (commandline -cp)
            hoard "[suggest:"(string length -- $line)"]" "$line" 2>/dev/null
        end
        complete -c hoard -f -a '(__hoard_complete)'

        """;

    public static readonly IReadOnlyList<(string Shell, string Script)> All = [("bash", Bash), ("zsh", Zsh), ("fish", Fish)];
}
