using System.CommandLine;
using System.Text.Json.Nodes;
using Hoard.Cli.Http;
using Hoard.Cli.Output;
using Hoard.Cli.Waiting;
using Spectre.Console;

namespace Hoard.Cli.Commands;

/// <summary>One command's run: its parsed values, the signed-in client, the renderer, and its cancellation.</summary>
internal sealed class CommandContext(ParseResult parse, CliServices services, CancellationToken cancellation)
{
    private HoardClient? _client;

    public CliServices Services { get; } = services;

    public CancellationToken Cancellation { get; } = cancellation;

    public Renderer Output => new(parse.GetValue<OutputFormat>(GlobalOptions.OutputName), Services.Environment.Out, Services.Environment.Interactive);

    public T? Get<T>(Option<T> option) => parse.GetValue(option);

    /// <summary>An argument's value; the parser has already refused a command line that lacks a required one.</summary>
    public T Get<T>(Argument<T> argument) => parse.GetValue(argument)!;

    public async Task<HoardClient> ClientAsync() => _client ??= await Services.ConnectAsync(Cancellation);

    /// <summary>Waits when <c>--wait</c> was given and returns the resource as it ended; null when not asked to wait.</summary>
    public async Task<JsonObject?> WaitIfAskedAsync(WaitOptions options, string what, Func<CancellationToken, Task<JsonObject?>> fetch,
        Func<JsonObject?, WaitState> judge)
    {
        if (!parse.GetValue(options.Wait))
        {
            return null;
        }

        IWaitDisplay display = Services.Environment.Interactive
            ? new LiveWaitDisplay(ErrorConsole())
            : new PlainWaitDisplay(Services.Environment.Error);
        return await new StatusWaiter(display, Services.Time)
            .WaitAsync(what, fetch, judge, TimeSpan.FromSeconds(parse.GetValue(options.Timeout)), Cancellation);
    }

    /// <summary>
    /// A secret from the first line of standard input (<c>--password-stdin</c>), else asked for without echo on a
    /// terminal; never from the command line, where other users' <c>ps</c> would see it.
    /// </summary>
    public string? ReadSecret(Option<bool> fromStdin, string prompt, bool required)
    {
        if (parse.GetValue(fromStdin))
        {
            var line = Services.Environment.In.ReadLine();
            return string.IsNullOrEmpty(line) ? throw CliException.Usage("--password-stdin was given but standard input had no password.") : line;
        }

        if (Services.Environment.Interactive)
        {
            return ErrorConsole().Prompt(new TextPrompt<string>(Markup.Escape(prompt)).Secret().AllowEmpty()) is { Length: > 0 } typed ? typed : null;
        }

        return required ? throw CliException.Usage($"{prompt.TrimEnd(':', ' ')} is needed: pass it on standard input with --password-stdin.") : null;
    }

    private IAnsiConsole ErrorConsole() => AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Services.Environment.Error) });
}
