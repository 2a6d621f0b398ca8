namespace Hoard.Cli.Output;

/// <summary>A table column: its header and the dotted path of its value in each item (<c>datastore.type</c>).</summary>
internal sealed record Column(string Header, string Path);
