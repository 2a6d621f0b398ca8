using System.Text.Json;
using System.Text.Json.Nodes;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Hoard.Cli.Output;

/// <summary>The one place results are written to standard output: a Spectre table, JSON or YAML.</summary>
internal sealed class Renderer(OutputFormat format, TextWriter writer, bool interactive)
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public OutputFormat Format { get; } = format;

    /// <summary>A collection: one row per item in a table, the items themselves otherwise.</summary>
    public void List(JsonArray items, IReadOnlyList<Column> columns)
    {
        if (Format != OutputFormat.Table)
        {
            WriteData(items);
            return;
        }

        var table = new Table();
        foreach (var column in columns)
        {
            table.AddColumn(column.Header);
        }

        foreach (var item in items)
        {
            table.AddRow([.. columns.Select(c => Cell(JsonText.At(item, c.Path)))]);
        }

        Console().Write(table);
    }

    /// <summary>
    /// A list that takes the place of the one shown before (<c>--watch</c>): on a terminal the screen is cleared and the
    /// table drawn again; elsewhere each list follows the last, a table under the time it was read.
    /// </summary>
    public void ListAgain(JsonArray items, IReadOnlyList<Column> columns, DateTimeOffset readAt)
    {
        if (Format == OutputFormat.Table)
        {
            if (interactive)
            {
                Console().Clear(home: true);
            }

            writer.WriteLine(readAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", System.Globalization.CultureInfo.InvariantCulture));
        }

        List(items, columns);
    }

    /// <summary>One resource: a field/value table, or the resource itself.</summary>
    public void Show(JsonObject item)
    {
        if (Format != OutputFormat.Table)
        {
            WriteData(item);
            return;
        }

        var table = new Table().AddColumn("Field").AddColumn("Value");
        foreach (var (key, value) in JsonText.Shown(item))
        {
            table.AddRow(new Text(key), Cell(value));
        }

        Console().Write(table);
    }

    /// <summary>What a command did, for people; JSON and YAML stay silent rather than print something that is not data.</summary>
    public void Message(string text)
    {
        if (Format == OutputFormat.Table)
        {
            writer.WriteLine(text);
        }
    }

    /// <summary>Long values (ids, nested JSON) are folded onto more lines, never cut short.</summary>
    private static IRenderable Cell(JsonNode? value) => new Text(JsonText.Text(value)) { Overflow = Overflow.Fold };

    private void WriteData(JsonNode node) =>
        writer.Write(Format == OutputFormat.Json ? node.ToJsonString(Indented) + Environment.NewLine : YamlText.From(node));

    private IAnsiConsole Console()
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(writer),
            Ansi = interactive ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = interactive ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = interactive ? InteractionSupport.Detect : InteractionSupport.No,
        });
        if (!interactive)
        {
            // Redirected output is read by scripts and pagers: rows are not wrapped at a guessed 80 columns.
            console.Profile.Width = 240;
        }

        return console;
    }
}
