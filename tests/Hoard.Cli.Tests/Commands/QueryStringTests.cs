using Hoard.Cli.Commands;

namespace Hoard.Cli.Tests.Commands;

public sealed class QueryStringTests
{
    [Fact]
    public void Path_WithoutFilters_IsThePath() =>
        Assert.Equal("events", QueryString.Path("events", ("limit", null)));

    [Fact]
    public void Path_SendsOnlyTheGivenFilters_Escaped() =>
        Assert.Equal("mgmt/audit?project_id=a%20b%26c&limit=20",
            QueryString.Path("mgmt/audit", ("project_id", "a b&c"), ("instance_id", null), ("limit", 20)));
}
