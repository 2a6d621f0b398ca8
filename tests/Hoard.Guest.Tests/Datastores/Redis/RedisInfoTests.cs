using Hoard.Guest.Datastores.Redis;

namespace Hoard.Guest.Tests.Datastores.Redis;

public sealed class RedisInfoTests
{
    [Fact]
    public void Parse_ReadsKeyValueLinesOfEverySection_AndSkipsHeadings() =>
        Assert.Equal(
            new Dictionary<string, string> { ["connected_clients"] = "4", ["total_commands_processed"] = "1234", ["master_host"] = "127.0.0.1:6379" },
            RedisInfo.Parse("# Clients\r\nconnected_clients:4\r\n\r\n# Stats\r\ntotal_commands_processed:1234\r\nmaster_host:127.0.0.1:6379\r\n"));
}
