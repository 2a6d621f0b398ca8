using System.CommandLine;
using Hoard.Cli.Commands.Instances;

namespace Hoard.Cli.Commands.BackupStrategies;

/// <summary><c>--instance</c> and <c>--project</c>, which pick the strategies that list and delete act on.</summary>
internal sealed class StrategyFilters
{
    public Option<string> Instance { get; } = new("--instance") { Description = "The instance's strategy (name or id); else the project's." };

    public Option<string> Project { get; } = new("--project") { Description = "Another project's (id; admins only)." };

    public Symbol[] Options => [Instance, Project];

    /// <summary>The path with the <c>project_id</c> and <c>instance_id</c> filters that were given.</summary>
    public async Task<string> PathAsync(CommandContext context) =>
        QueryString.Path("backup_strategies", ("project_id", context.Get(Project)),
            ("instance_id", context.Get(Instance) is { } i ? await InstanceOperations.IdAsync(context, i) : null));
}
