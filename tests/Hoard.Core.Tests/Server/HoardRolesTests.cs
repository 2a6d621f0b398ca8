using Hoard.Server.Hosting;

namespace Hoard.Core.Tests.Server;

public class HoardRolesTests
{
    [Theory]
    [InlineData(null, true, true, true)]
    [InlineData("", true, true, true)]
    [InlineData("api", true, false, false)]
    [InlineData(" TaskManager , conductor ", false, true, true)]
    [InlineData("api,taskmanager,conductor", true, true, true)]
    public void Parse_CommaList_CaseAndSpacesIgnored(string? value, bool api, bool taskManager, bool conductor) =>
        Assert.Equal(new HoardRoles(api, taskManager, conductor), HoardRoles.Parse(value));

    [Fact]
    public void Parse_UnknownRole_NamesItAndTheValidOnes()
    {
        var e = Assert.Throws<InvalidOperationException>(() => HoardRoles.Parse("api,scheduler"));
        Assert.Contains("'scheduler'", e.Message);
        Assert.Contains("api, taskmanager and conductor", e.Message);
    }

    [Fact]
    public void Validate_SubsetOfRoles_NeedsTheRabbitMqBus()
    {
        var e = Assert.Throws<InvalidOperationException>(() => RoleSelection.Validate(new HoardOptions { Roles = "api" }));
        Assert.Contains("Hoard:Bus=rabbitmq", e.Message);

        var split = RoleSelection.Validate(new HoardOptions { Roles = "api", Bus = "rabbitmq", RabbitMq = { Url = "amqp://u:p@127.0.0.1:5672/" } });
        Assert.Equal((true, false, false, false), (split.Api, split.TaskManager, split.Conductor, split.SoleProcess));
        Assert.True(RoleSelection.Validate(new HoardOptions()).SoleProcess);
        Assert.False(RoleSelection.Validate(new HoardOptions { Bus = "rabbitmq", RabbitMq = { Url = "amqp://u:p@127.0.0.1:5672/" } }).SoleProcess);
    }
}
