using Hoard.Cli.Output;

namespace Hoard.Cli.Tests.Output;

public sealed class ByteSizeTests
{
    [Theory]
    [InlineData(0L, "0 B")]
    [InlineData(1023L, "1023 B")]
    [InlineData(1024L, "1.0 KiB")]
    [InlineData(327_577_190L, "312.4 MiB")]
    [InlineData(1_073_741_824L, "1.0 GiB")]
    public void Text_UsesTheLargestBinaryUnitBelowTheValue(long bytes, string expected) => Assert.Equal(expected, ByteSize.Text(bytes));
}
