using Hoard.Contracts.Conductor;
using Hoard.Core.Instances;

namespace Hoard.Core.Tests.Instances;

public sealed class VolumeFaultTests
{
    [Fact]
    public void Message_SaysHowFullAndWhatToDo()
    {
        // A 1 GB loopfs volume: its ext4 filesystem has 1,033,285,632 bytes.
        var message = VolumeFault.Message(new VolumeReport(1_033_285_632, 1 << 20, Full: true));

        Assert.Equal("The volume is full (1.0 GB of 1.0 GB used): writes fail with ENOSPC; delete data or resize the volume.", message);
        Assert.True(VolumeFault.Is(message));
    }

    [Fact]
    public void Details_GiveTheBytes() =>
        Assert.Equal("4096 of 2147483648 bytes free on the volume's filesystem.", VolumeFault.Details(new VolumeReport(2L << 30, 4096, Full: true)));

    [Theory]
    [InlineData("The database server stopped unexpectedly: it was killed by SIGKILL (signal 9); the guest restarts it, with backoff.")]
    [InlineData("Building the instance failed at step 'await_guest': the volume is full")]
    public void OtherFaults_AreNotVolumeFaults(string message) => Assert.False(VolumeFault.Is(message));
}
