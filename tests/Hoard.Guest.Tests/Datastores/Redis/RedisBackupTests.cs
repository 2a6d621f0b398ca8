using System.Security.Cryptography;
using System.Text;
using Hoard.Contracts.Bus;
using Hoard.Contracts.Guest;
using Hoard.Guest.Datastores.Redis;
using Hoard.Guest.Tests.Backups;
using Hoard.Guest.Tests.Datastores.MariaDb;
using Xunit.Abstractions;

namespace Hoard.Guest.Tests.Datastores.Redis;

/// <summary>
/// A backup of a real Redis (a fresh RDB snapshot), streamed to an in-test receiver, restored into a second instance by
/// its prepare.
/// </summary>
public sealed class RedisBackupTests(RedisFixture fixture, BackupReceiver receiver, ITestOutputHelper output)
    : IClassFixture<RedisFixture>, IClassFixture<BackupReceiver>
{
    private static readonly CancellationToken None = CancellationToken.None;
    private RedisManager Manager => fixture.Manager;

    [Fact]
    public async Task BackupAndRestore_BringBackExactlyTheBackedUpKeys_WithTheNewInstancesUsers()
    {
        using (var connection = fixture.ConnectTcp(RedisFixture.User, RedisFixture.Password))
        {
            for (var i = 0; i < 2000; i++)
                connection.Execute("SET", $"item:{i}", $"value-{i}-{Convert.ToHexString(SHA256.HashData(BitConverter.GetBytes(i)))}");
            connection.Execute("HSET", "cart:1", "apples", "3", "pears", "5");
            connection.Execute("RPUSH", "queue", "a", "b", "c");
        }

        var before = Fingerprint(fixture.Admin);
        var id = Guid.NewGuid().ToString();

        var result = await Manager.CreateBackupAsync(new CreateBackupRequest(id, BackupStrategies.RedisRdb, receiver.Upload(id)), None);

        output.WriteLine($"backup: {result.ToolBytes} bytes of RDB, {new FileInfo(receiver.PathOf(id)).Length} stored; " +
            string.Join(", ", result.Metadata.Select(m => $"{m.Key}={m.Value}")));
        Assert.Equal(long.Parse(result.Metadata["rdb_bytes"]), result.ToolBytes);
        Assert.StartsWith("7.", result.Metadata["redis_version"]);
        Assert.Equal(ServiceStatus.Healthy, await Manager.ProbeAsync(None));

        using (var connection = fixture.ConnectTcp(RedisFixture.User, RedisFixture.Password))
        {
            connection.Execute("SET", "after:backup", "1");
            connection.Execute("SET", "item:0", "changed");
            connection.Execute("DEL", "queue");
        }

        using var instance = RedisInstance.Create();
        await using var restored = instance.CreateManager();
        await restored.PrepareAsync(new PrepareRequest("redis", "7.0", 512, 1, 1, [], [new UserSpec("carol", "Carol-Secret-3")],
            Restore: new RestoreSource(BackupStrategies.RedisRdb, [receiver.Layer(id, result.Metadata)])), None);

        Assert.True(restored.IsPrepared);
        Assert.Equal(ServiceStatus.Healthy, await restored.ProbeAsync(None));
        Assert.Equal(before, Fingerprint(() => restored.Server.OpenAdmin(TimeSpan.FromSeconds(10))));
        using (var carol = instance.ConnectTcp("carol", "Carol-Secret-3"))
            Assert.Equal("5", carol.Execute("HGET", "cart:1", "pears").AsString());
        var alice = Assert.Throws<RedisException>(() => instance.ConnectTcp(RedisFixture.User, RedisFixture.Password));
        Assert.Equal("WRONGPASS", alice.ErrorCode);
        Assert.True(Directory.Exists(Path.Combine(instance.Config.Paths.Data, "appendonlydir")));

        // Append-only persistence was turned on after the snapshot was loaded: the next start reads the AOF it wrote.
        await restored.RestartAsync(None);
        Assert.Equal(before, Fingerprint(() => restored.Server.OpenAdmin(TimeSpan.FromSeconds(10))));
    }

    [Fact]
    public async Task Backup_WithAWrongToken_FailsClearly()
    {
        var id = Guid.NewGuid().ToString();

        var error = await Assert.ThrowsAsync<HandlerException>(() =>
            Manager.CreateBackupAsync(new CreateBackupRequest(id, BackupStrategies.RedisRdb, receiver.Upload(id, token: "not-the-token")), None));

        Assert.Contains($"hoard-server refused the upload of backup {id}: HTTP 403", error.Message);
        Assert.DoesNotContain("not-the-token", error.Message);
    }

    [Theory]
    [InlineData("truncated")]
    [InlineData("garbled")]
    public async Task Restore_OfADamagedDownload_FailsClearly_AndPreparesNothing(string damage)
    {
        using (var connection = fixture.ConnectTcp(RedisFixture.User, RedisFixture.Password))
        {
            for (var i = 0; i < 500; i++)
                connection.Execute("SET", $"damage:{i}", new string('x', 100) + i);
        }

        var id = Guid.NewGuid().ToString();
        var result = await Manager.CreateBackupAsync(new CreateBackupRequest(id, BackupStrategies.RedisRdb, receiver.Upload(id)), None);
        receiver.Damage[id] = damage == "truncated" ? bytes => bytes[..(bytes.Length / 2)] : MariaDbBackupTests.Garble;
        using var instance = RedisInstance.Create();
        await using var restored = instance.CreateManager();

        var error = await Assert.ThrowsAsync<HandlerException>(() => restored.PrepareAsync(new PrepareRequest("redis", "7.0", 512, 1, 1, [], [],
            Restore: new RestoreSource(BackupStrategies.RedisRdb, [receiver.Layer(id, result.Metadata)])), None));

        output.WriteLine(error.Message);
        Assert.StartsWith($"Restoring backup {id} failed: The download of backup {id} is damaged or incomplete", error.Message);
        Assert.False(restored.IsPrepared);
        Assert.False(File.Exists(restored.Server.Paths.DumpFile));
    }

    /// <summary>Every key with its type and content, in key order, hashed.</summary>
    private static string Fingerprint(Func<RedisConnection> open)
    {
        using var connection = open();
        var keys = connection.Execute("KEYS", "*").AsArray().Select(k => k.AsString()).Order(StringComparer.Ordinal).ToList();
        var text = new StringBuilder();
        foreach (var key in keys)
        {
            var type = connection.Execute("TYPE", key).AsString();
            var content = type switch
            {
                "string" => connection.Execute("GET", key).AsString(),
                "hash" => string.Join(",", connection.Execute("HGETALL", key).AsArray().Select(v => v.AsString())),
                "list" => string.Join(",", connection.Execute("LRANGE", key, "0", "-1").AsArray().Select(v => v.AsString())),
                _ => type,
            };
            text.Append(key).Append('=').Append(type).Append(':').Append(content).Append('\n');
        }

        return $"{keys.Count} keys, sha256 {Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())))}";
    }
}
