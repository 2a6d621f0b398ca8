using Hoard.Core.Compute;

namespace Hoard.Providers.Local;

/// <summary>A volume is a directory: size is recorded and its use reported, but not enforced.</summary>
public sealed class DirectoryVolumeProvider(LocalOptions options, OsAccount account) : IVolumeProvider
{
    public string Name => "directory";

    public Task<string> CreateAsync(string instanceId, int sizeGb, CancellationToken cancellationToken)
    {
        var path = Path.Combine(options.VolumesDir, instanceId);
        Directory.CreateDirectory(path);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        account.Own(path);
        return Task.FromResult(path);
    }

    public Task<long?> GetUsedBytesAsync(string instanceId, CancellationToken cancellationToken)
    {
        var path = Path.Combine(options.VolumesDir, instanceId);
        if (!Directory.Exists(path))
        {
            return Task.FromResult<long?>(null);
        }

        var used = new DirectoryInfo(path)
            .EnumerateFiles("*", new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true })
            .Sum(f => f.Length);
        return Task.FromResult<long?>(used);
    }

    /// <summary>Nothing to grow: the new size is only recorded (by the caller), as the size always was.</summary>
    public Task<bool> ResizeAsync(string instanceId, int newSizeGb, Func<CancellationToken, Task> stopUsers, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(newSizeGb, 1);
        var path = Path.Combine(options.VolumesDir, instanceId);
        return Directory.Exists(path)
            ? Task.FromResult(true)
            : throw new InvalidOperationException($"Instance {instanceId} has no volume directory {path} to resize.");
    }

    public Task<IReadOnlyList<HeldResource>> ListHeldResourcesAsync(CancellationToken cancellationToken)
    {
        IReadOnlyList<HeldResource> held = Directory.Exists(options.VolumesDir)
            ? [.. Directory.EnumerateDirectories(options.VolumesDir)
                .Where(d => Guid.TryParse(Path.GetFileName(d), out _))
                .Select(d => new HeldResource(Path.GetFileName(d), $"volume directory {d}",
                    File.GetLastWriteTimeUtc(d)))]
            : [];
        return Task.FromResult(held);
    }

    public Task DeleteAsync(string instanceId, CancellationToken cancellationToken)
    {
        var path = Path.Combine(options.VolumesDir, instanceId);
        if (Directory.Exists(path))
        {
            Directory.Delete(path, recursive: true);
        }

        return Task.CompletedTask;
    }
}
