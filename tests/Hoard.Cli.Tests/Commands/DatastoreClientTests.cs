using System.Text.Json.Nodes;
using Hoard.Cli.Commands.Connect;

namespace Hoard.Cli.Tests.Commands;

public sealed class DatastoreClientTests
{
    [Theory]
    [InlineData("mariadb", "mariadb", "MYSQL_PWD")]
    [InlineData("postgresql", "psql", "PGPASSWORD")]
    [InlineData("redis", "redis-cli", "REDISCLI_AUTH")]
    public void EachDatastore_HasItsClient_AndTakesThePasswordFromTheEnvironment(string datastore, string program, string variable)
    {
        var client = DatastoreClient.Find(datastore)!;
        Assert.Equal(program, client.Program);
        Assert.Equal(variable, client.PasswordVariable);
        var arguments = client.Arguments("127.100.0.2", 3306, "app", "shop");
        Assert.Contains("127.100.0.2", arguments);
        Assert.Contains("app", arguments);
        Assert.DoesNotContain(arguments, a => a.Contains("pass", StringComparison.OrdinalIgnoreCase) || a is "-p" && datastore == "mariadb");
    }

    [Fact]
    public void Connect_ToAnUnknownDatastore_IsOneReadableError()
    {
        var instance = new JsonObject { ["ip"] = new JsonArray("127.100.0.2"), ["datastore"] = new JsonObject { ["type"] = "cassandra" } };
        Assert.Null(InstanceEndpoint.Of(instance));
        Assert.Equal("hoard knows no client for datastore 'cassandra'.", Assert.Throws<CliException>(() => InstanceEndpoint.Require(instance)).Message);
    }

    [Theory]
    [InlineData("mariadb", 3306, "mysql://root@127.100.0.2:3306/")]
    [InlineData("postgresql", 5432, "postgresql://postgres@127.100.0.2:5432/")]
    [InlineData("redis", null, "redis://default@127.100.0.2:6379/")]
    public void InstanceShow_HasAConnectionString_WithoutThePassword(string datastore, int? port, string expected)
    {
        var instance = new JsonObject { ["ip"] = new JsonArray("127.100.0.2"), ["datastore"] = new JsonObject { ["type"] = datastore } };
        if (port is { } p)
        {
            instance["port"] = p;
        }

        Assert.Equal(expected, InstanceEndpoint.Of(instance)!.ConnectionString);
    }

    [Fact]
    public void AnInstanceWithoutAnAddress_HasNoEndpointYet()
    {
        var instance = new JsonObject { ["name"] = "shop", ["status"] = "BUILD", ["datastore"] = new JsonObject { ["type"] = "mariadb" } };
        Assert.Null(InstanceEndpoint.Of(instance));
        Assert.Equal("Instance shop has no address yet (status BUILD).", Assert.Throws<CliException>(() => InstanceEndpoint.Require(instance)).Message);
    }
}
