using Hoard.Guest.Datastores;

namespace Hoard.Guest.Tests.Datastores;

public sealed class ConfigurationStateTests
{
    [Fact]
    public void Save_WritesAnOwnerOnlyFile_ThatLoadsBack()
    {
        var directory = Directory.CreateTempSubdirectory("hoard-state-");
        try
        {
            var path = Path.Combine(directory.FullName, ConfigurationState.FileName);
            Assert.Null(ConfigurationState.Load(path));

            new ConfigurationState(2048, new Dictionary<string, string> { ["work_mem"] = "8MB", ["datestyle"] = "iso, dmy" }).Save(path);

            var loaded = ConfigurationState.Load(path)!;
            Assert.Equal(2048, loaded.MemoryMb);
            Assert.Equal(new Dictionary<string, string> { ["work_mem"] = "8MB", ["datestyle"] = "iso, dmy" }, loaded.Overrides);
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
            Assert.Contains("\"memory_mb\": 2048", File.ReadAllText(path));
            Assert.Equal([ConfigurationState.FileName], Directory.GetFiles(directory.FullName).Select(Path.GetFileName));
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }
}
