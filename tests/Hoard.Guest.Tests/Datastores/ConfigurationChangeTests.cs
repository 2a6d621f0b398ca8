using Hoard.Guest.Datastores;

namespace Hoard.Guest.Tests.Datastores;

public sealed class ConfigurationChangeTests
{
    private static readonly ConfigurationState Before = ConfigurationState.Defaults(512);
    private static readonly ConfigurationState After = ConfigurationState.Defaults(1024);

    [Fact]
    public void Between_ListsAddedChangedAndRemovedKeys_InTheNewFilesOrder()
    {
        var change = ConfigurationChange.Between(
            Before, Settings(("a", "1"), ("b", "2"), ("gone", "x"), ("same", "s")),
            After, Settings(("a", "1"), ("b", "3"), ("same", "s"), ("new", "n")),
            restartRequired: []);

        Assert.Equal(["b", "new", "gone"], change.Live);
        Assert.Empty(change.RestartRequired);
        Assert.Equal(["gone"], change.Removed);
        Assert.Same(After, change.After);
    }

    [Fact]
    public void Between_PutsRestartRequiredKeysAside_OnlyWhenTheyChanged()
    {
        var change = ConfigurationChange.Between(
            Before, Settings(("max_connections", "50"), ("work_mem", "4MB"), ("shared_buffers", "128MB")),
            After, Settings(("max_connections", "80"), ("work_mem", "8MB"), ("shared_buffers", "128MB")),
            restartRequired: ["max_connections", "shared_buffers"]);

        Assert.Equal(["work_mem"], change.Live);
        Assert.Equal(["max_connections"], change.RestartRequired);
    }

    [Fact]
    public void Between_TakesTheLastValueOfARepeatedKey_AndABareFlagAsAValue()
    {
        var change = ConfigurationChange.Between(
            Before, Settings(("x", "1"), ("x", "2"), ("flag", null)),
            After, Settings(("x", "2"), ("flag", "OFF")),
            restartRequired: []);

        Assert.Equal(["flag"], change.Live);
    }

    [Fact]
    public void Between_SameSettings_ChangesNothing()
    {
        var change = ConfigurationChange.Between(Before, Settings(("a", "1")), After, Settings(("a", "1")), ["a"]);

        Assert.Empty(change.Live);
        Assert.Empty(change.RestartRequired);
        Assert.Empty(change.Removed);
    }

    [Fact]
    public void Holding_KeepsHeldKeysAsTheyWere_AndTakesTheRest()
    {
        var before = Pairs(("a", "1"), ("held_changed", "old"), ("held_removed", "r"), ("free", "f1"));
        var after = Pairs(("a", "1"), ("held_changed", "new"), ("held_added", "+"), ("free", "f2"));

        var settings = ConfigurationChange.Holding(before, after, ["held_changed", "held_added", "held_removed"]);

        Assert.Equal(Pairs(("a", "1"), ("held_changed", "old"), ("free", "f2"), ("held_removed", "r")), settings);
    }

    private static List<KeyValuePair<string, string?>> Settings(params (string Key, string? Value)[] settings) =>
        [.. settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value))];

    private static List<KeyValuePair<string, string>> Pairs(params (string Key, string Value)[] settings) =>
        [.. settings.Select(s => new KeyValuePair<string, string>(s.Key, s.Value))];
}
