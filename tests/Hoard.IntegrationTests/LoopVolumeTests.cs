using System.Text.Json.Nodes;
using Hoard.IntegrationTests.Infrastructure;

namespace Hoard.IntegrationTests;

/// <summary>
/// As root, the server gives instances loopfs volumes: a mounted ext4 image of the requested size, its use shown,
/// mounted again after a (simulated) host reboot before the guest starts, and gone without a trace on delete.
/// </summary>
[Collection(HoardServerCollection.Name)]
[Trait("Category", "Integration")]
public sealed class LoopVolumeTests(HoardServerFixture server)
{
    private TroveClient Client => server.Client;

    private TroveSession Admin => server.Admin;

    [LoopFact]
    public async Task Instance_GetsAMountedVolumeOfItsSize_ThatComesBackAfterAReboot_AndLeavesNothingOnDelete()
    {
        const string password = "Loop-App-Pass-1";
        var body = TroveClient.InstanceBody("loopvol", "shop", "app", password);
        body["instance"]!["volume"]!["size"] = 2;
        var id = (await Client.CreateInstanceAsync(Admin, body))["id"]!.GetValue<string>();
        var ip = (await Client.WaitForActiveAsync(Admin, id))["ip"]![0]!.GetValue<string>();
        var volume = Path.Combine(server.DataDir, "volumes", id);
        var image = volume + ".img";

        var device = await MountedDeviceAsync(volume);
        Assert.True(device is not null, $"{volume} is not a mount point: the server did not pick loopfs although it runs as root " +
                                        "(set HOARD_TEST_NO_LOOP=1 where loop devices do not work).\n" + server.ServerLog);
        Assert.Equal((2L << 30).ToString(), (await Run("/usr/sbin/blockdev", "--getsize64", device)).Stdout.Trim());
        Assert.Equal(2L << 30, new FileInfo(image).Length);

        var before = await UsedGbAsync(id);
        var ballast = Path.Combine(volume, "ballast");
        await File.WriteAllBytesAsync(ballast, new byte[300 << 20]);
        await Poll.UntilAsync(async () => await UsedGbAsync(id) >= before + 0.25, "volume.used did not grow by the 300 MB written", 30);
        File.Delete(ballast);

        await MariaDbClient.QueryOkAsync(ip, "app", password, "shop", "CREATE TABLE kept (v INT); INSERT INTO kept VALUES (7);");
        foreach (var (pid, _) in ProcessTable.Mentioning(id))
        {
            System.Diagnostics.Process.GetProcessById(pid).Kill();
        }

        // As after a host reboot: no guest, no server, and the volume no longer mounted.
        await Poll.UntilAsync(async () => ProcessTable.Mentioning(id).Count == 0 && (await Run("/usr/bin/umount", volume)).Succeeded,
            "the volume could not be unmounted once the instance's processes were killed", 30,
            () => ProcessTable.Describe(ProcessTable.Mentioning(id)));
        await Poll.UntilAsync(async () => (await MariaDbClient.QueryAsync(ip, "app", password, "shop", "SELECT v FROM kept")).Stdout.Contains('7'),
            "the instance did not come back with its data after its volume was unmounted", 60, () => server.ServerLog);
        Assert.NotNull(await MountedDeviceAsync(volume));

        TroveClient.Expect(await Client.DeleteAsync(Admin, $"instances/{id}"), 202);
        await Client.WaitUntilGoneAsync(Admin, id);
        Assert.Null(await MountedDeviceAsync(volume));
        Assert.Equal("", (await Run("/usr/sbin/losetup", "--associated", image)).Stdout.Trim());
        Assert.False(File.Exists(image), "the image is left behind");
        Assert.False(Directory.Exists(volume), "the mount point is left behind");
    }

    private async Task<double> UsedGbAsync(string id)
    {
        var shown = TroveClient.Expect(await Client.GetAsync(Admin, $"instances/{id}"), 200).Object["instance"]!["volume"]!.AsObject();
        Assert.True(shown["used"] is JsonValue && shown["used_percent"] is JsonValue, $"show has no volume.used/used_percent: {shown}");
        return shown["used"]!.GetValue<double>();
    }

    private static async Task<string?> MountedDeviceAsync(string path)
    {
        var found = await Run("/usr/bin/findmnt", "--noheadings", "--raw", "--output", "SOURCE,FSTYPE", "--mountpoint", path);
        return found.Succeeded && found.Stdout.Trim().Split(' ') is [var source, "ext4"] && source.StartsWith("/dev/loop", StringComparison.Ordinal)
            ? source
            : null;
    }

    private static Task<ProcessResult> Run(string file, params string[] arguments) => ProcessRunner.RunAsync(file, arguments);
}
