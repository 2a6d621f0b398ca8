using System.CommandLine;

namespace Hoard.Cli.Commands;

/// <summary><c>--limit</c> of the lists the API pages (newest first): 1 to 1000, the API's default 20.</summary>
internal static class ListLimit
{
    public const int Maximum = 1000;

    public static Option<int> Create(string what)
    {
        var option = new Option<int>("--limit")
        {
            Description = $"How many of the newest {what} to list (at most {Maximum}).",
            DefaultValueFactory = _ => 20,
        };
        option.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() is < 1 or > Maximum)
            {
                result.AddError($"--limit must be between 1 and {Maximum}.");
            }
        });
        return option;
    }
}
