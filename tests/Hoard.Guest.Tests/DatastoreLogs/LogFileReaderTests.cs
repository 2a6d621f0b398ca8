using System.Text;
using Hoard.Guest.DatastoreLogs;

namespace Hoard.Guest.Tests.DatastoreLogs;

public sealed class LogFileReaderTests : IDisposable
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), "hoard-logread-" + Guid.NewGuid().ToString("N"));

    public void Dispose() => File.Delete(_path);

    [Fact]
    public async Task ReadAsync_FromAPosition_ReturnsOnlyWholeNewLines()
    {
        await File.WriteAllTextAsync(_path, "one\ntwo\nthr");
        var first = await LogFileReader.ReadAsync(_path, 0, 1 << 20, null, default);
        Assert.Equal(("one\ntwo\n", 0L, 8L, 11L, 2), (first.Content, first.From, first.Next, first.End, first.Lines));

        await File.AppendAllTextAsync(_path, "ee\nfour\n");
        var second = await LogFileReader.ReadAsync(_path, first.Next, 1 << 20, null, default);
        Assert.Equal(("three\nfour\n", 8L, 19L, 2), (second.Content, second.From, second.Next, second.Lines));
    }

    [Fact]
    public async Task ReadAsync_FileShorterThanThePosition_StartsAgainAtItsBeginning()
    {
        await File.WriteAllTextAsync(_path, "after a restart\n");
        var chunk = await LogFileReader.ReadAsync(_path, 500, 1 << 20, null, default);
        Assert.Equal(("after a restart\n", 0L, 16L), (chunk.Content, chunk.From, chunk.Next));
    }

    [Fact]
    public async Task ReadAsync_LimitedBytes_StopsAtALineEnd_AndKeepsPositionsOfFilteredLines()
    {
        await File.WriteAllTextAsync(_path, "keep 1\ndrop\nkeep 2\n");
        var chunk = await LogFileReader.ReadAsync(_path, 0, 14, lines => lines.Where(l => l.StartsWith("keep", StringComparison.Ordinal)), default);
        Assert.Equal(("keep 1\n", 12L, 1), (chunk.Content, chunk.Next, chunk.Lines));
    }

    [Fact]
    public async Task ReadAsync_MissingFile_IsEmpty()
    {
        var chunk = await LogFileReader.ReadAsync(_path, 0, 100, null, default);
        Assert.Equal(("", 0L, 0L), (chunk.Content, chunk.Next, chunk.End));
    }

    [Fact]
    public void WholeLines_WithoutANewline_TakesEverything()
    {
        Assert.Equal(5, LogFileReader.WholeLines(Encoding.UTF8.GetBytes("abcde")));
        Assert.Equal(3, LogFileReader.WholeLines(Encoding.UTF8.GetBytes("ab\ncd")));
    }
}
