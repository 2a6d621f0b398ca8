using System.Text.Json;

namespace Hoard.Guest.Tests;

public sealed class GuestLogTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("hoard-guestlog-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Json_WritesOneObjectPerLine_WithTheInstanceAndTheException()
    {
        var path = Path.Combine(_dir, "guest.log");
        using (var log = new GuestLog(path, jsonInstanceId: "i-1"))
        {
            log.Info("line \"one\"\nstill one");
            log.Error("failed", new InvalidOperationException("boom"));
        }

        var lines = File.ReadAllLines(path);
        Assert.Equal(2, lines.Length);
        using var first = JsonDocument.Parse(lines[0]);
        Assert.Equal("INFO", first.RootElement.GetProperty("level").GetString());
        Assert.Equal("i-1", first.RootElement.GetProperty("instance_id").GetString());
        Assert.Equal("line \"one\"\nstill one", first.RootElement.GetProperty("message").GetString());
        Assert.EndsWith("Z", first.RootElement.GetProperty("time").GetString());
        using var second = JsonDocument.Parse(lines[1]);
        Assert.Contains("boom", second.RootElement.GetProperty("exception").GetString());
    }

    [Fact]
    public void Text_IsTheDefault()
    {
        var path = Path.Combine(_dir, "guest.log");
        using (var log = new GuestLog(path))
        {
            log.Info("hello");
        }

        Assert.EndsWith(" INFO hello", File.ReadAllText(path).TrimEnd());
    }
}
