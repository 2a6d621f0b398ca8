using Hoard.Providers.Local;

namespace Hoard.Core.Tests.Providers;

/// <summary>The OOM kill count read from a cgroup's counters, as each kernel writes them.</summary>
public sealed class OomKillCounterTests
{
    [Theory]
    [InlineData("oom_kill_disable 0\nunder_oom 0\noom_kill 3\n", 3L)] // v1 memory.oom_control since 4.13
    [InlineData("low 0\nhigh 0\nmax 12\noom 2\noom_kill 2\noom_group_kill 0\n", 2L)] // v2 memory.events
    [InlineData("oom_kill_disable 0\nunder_oom 0\n", null)] // v1 before 4.13: not counted
    [InlineData("", null)] // unreadable
    public void OomKills_IsTheOomKillLine(string counters, long? expected) =>
        Assert.Equal(expected, InstanceCgroups.OomKills(counters));
}
