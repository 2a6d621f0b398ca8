using Hoard.Server.Hosting;
using Microsoft.Extensions.Configuration;

namespace Hoard.Core.Tests.Server;

/// <summary>
/// The example deployment in deploy/: each role's settings file binds to the server's options with the role it is named
/// after, and the systemd units keep secrets off the command line (EnvironmentFile, never ExecStart) and run api and
/// conductor as an unprivileged user.
/// </summary>
public class DeployFilesTests
{
    private static readonly string Deploy = Path.Combine(RepoRoot(), "deploy");

    [Theory]
    [InlineData("api", true, false, false)]
    [InlineData("taskmanager", false, true, false)]
    [InlineData("conductor", false, false, true)]
    public void ExampleConfig_BindsWithItsRole_OnTheRabbitMqBus(string role, bool api, bool taskManager, bool conductor)
    {
        var configuration = new ConfigurationBuilder()
            .AddJsonFile(Path.Combine(Deploy, "config", role + ".json"))
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Hoard:RabbitMq:Url"] = "amqp://u:p@127.0.0.1:5672/" })
            .Build();
        var options = configuration.GetSection("Hoard").Get<HoardOptions>()!;

        var roles = RoleSelection.Validate(options);
        Assert.Equal(new HoardRoles(api, taskManager, conductor), roles);
        Assert.False(roles.SoleProcess);
        Assert.Equal("rabbitmq", options.Bus);
    }

    [Theory]
    [InlineData("hoard-api.service", "api", "hoard")]
    [InlineData("hoard-taskmanager.service", "taskmanager", "root")]
    [InlineData("hoard-conductor.service", "conductor", "hoard")]
    public void SystemdUnit_RunsItsRole_WithSecretsFromAnEnvironmentFileOnly(string unit, string role, string user)
    {
        var lines = File.ReadAllLines(Path.Combine(Deploy, "systemd", unit)).Where(l => !l.StartsWith('#')).ToList();
        var exec = Assert.Single(lines, l => l.StartsWith("ExecStart=", StringComparison.Ordinal));
        Assert.Contains($"--roles {role} ", exec);
        Assert.Contains($"--config /etc/hoard/{role}.json", exec);
        foreach (var secret in new[] { "amqp", "Password", "Key", "Secret", "Url", "ConnectionString" })
        {
            Assert.DoesNotContain(secret, exec, StringComparison.OrdinalIgnoreCase);
        }

        Assert.Contains("EnvironmentFile=/etc/hoard/hoard.env", lines);
        Assert.Contains($"User={user}", lines);
        Assert.Contains("NoNewPrivileges=yes", lines);
    }

    [Fact]
    public void SecretsExample_HoldsEveryStoredSecret_AndSaysToKeepIt0600()
    {
        var text = File.ReadAllText(Path.Combine(Deploy, "config", "hoard.env.example"));
        Assert.Contains("-m 0600", text);
        foreach (var key in new[] { "Hoard__RabbitMq__Url=", "Hoard__StateDbConnectionString=", "Hoard__Swift__Key=", "Hoard__S3__SecretKey=" })
        {
            Assert.Contains(key, text);
        }
    }

    private static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Hoard.slnx")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException($"No Hoard.slnx above {AppContext.BaseDirectory}");
    }
}
