using Hoard.Contracts.Bus;
using Hoard.Contracts.Guest;
using Hoard.Guest.Datastores.PostgreSql;
using Hoard.Guest.Datastores.Redis;
using Hoard.Guest.DatastoreLogs;

namespace Hoard.Guest.Tests.DatastoreLogs;

public class DatastoreLogSelectionTests
{
    [Fact]
    public void PostgreSqlSlowQueryLines_KeepDurationEntriesAndTheirContinuations()
    {
        string[] log =
        [
            "2026-12-01 04:00:00.000 UTC [10] LOG:  database system is ready to accept connections",
            "2026-12-01 04:00:01.000 UTC [11] app@shop LOG:  duration: 1501.2 ms  statement: SELECT pg_sleep(1.5),",
            "\t1 AS one",
            "2026-12-01 04:00:02.000 UTC [11] app@shop ERROR:  relation \"x\" does not exist",
            "\tcontinuation of an error",
        ];
        Assert.Equal([log[1], log[2]], PostgreSqlSlowQueryLines.Keep(log));
    }

    [Fact]
    public void RedisSlowLogEntry_Format_MasksPasswordArguments()
    {
        var time = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000);
        var auth = new RedisSlowLogEntry(7, time, 12_000, ["AUTH", "app", "Pa55-word"], "127.0.0.1:5000").Format();
        Assert.Equal($"2023-11-14T22:13:20Z id=7 duration_us=12000 client=127.0.0.1:5000 command: AUTH {LogRedaction.Mask} {LogRedaction.Mask}", auth);
        var debug = new RedisSlowLogEntry(8, time, 20_000, ["DEBUG", "SLEEP", "0.02"], "127.0.0.1:5000").Format();
        Assert.EndsWith("command: DEBUG SLEEP 0.02", debug, StringComparison.Ordinal);
        var config = new RedisSlowLogEntry(9, time, 20_000, ["CONFIG", "SET", "requirepass", "Pa55-word"], "").Format();
        Assert.DoesNotContain("Pa55-word", config, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DatastoreLogs_UnknownName_IsBadRequest_AndAlwaysOnLogCannotBeSwitched()
    {
        var logs = new DatastoreLogSet([new FileDatastoreLog("error", GuestLogTypes.System, "/nonexistent/error.log")]);
        var unknown = await Assert.ThrowsAsync<HandlerException>(() => logs.ReadAsync(new ReadGuestLogRequest("nope", 0, 10), default));
        Assert.Equal(GuestErrorCodes.BadRequest, unknown.Code);
        var fixedLog = await Assert.ThrowsAsync<HandlerException>(() => logs.SetEnabledAsync(new SetGuestLogRequest("error", false), default));
        Assert.Equal(GuestErrorCodes.BadRequest, fixedLog.Code);
        var listed = Assert.Single((await logs.ListAsync(default)).Logs);
        Assert.Equal(new GuestLogInfo("error", GuestLogTypes.System, GuestLogState.AlwaysOn, 0), listed);
    }
}
