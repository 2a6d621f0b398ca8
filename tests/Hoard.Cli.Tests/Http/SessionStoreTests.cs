using Hoard.Cli.Http;

namespace Hoard.Cli.Tests.Http;

public sealed class SessionStoreTests
{
    private static readonly Session Sample = new("http://h/v3", "secret-token", new DateTimeOffset(2026, 12, 1, 12, 0, 0, TimeSpan.Zero),
        "admin", "p1", "demo", "http://h/v1.0/p1", ["admin"]);

    [Fact]
    public void Save_WritesAFileOnlyItsOwnerCanRead_InAPrivateDirectory()
    {
        using var environment = new TestEnvironment();
        var store = new SessionStore(environment.Environment.ConfigPath);
        store.Save(Sample);
        Assert.Equal(Path.Combine(environment.ConfigHome, "hoard", "config.json"), store.Path);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(store.Path));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.GetDirectoryName(store.Path)!));
    }

    [Fact]
    public void Save_TightensAFileThatWasReadableByOthers()
    {
        using var environment = new TestEnvironment();
        var store = new SessionStore(environment.Environment.ConfigPath);
        Directory.CreateDirectory(Path.GetDirectoryName(store.Path)!);
        File.WriteAllText(store.Path, "{}");
        File.SetUnixFileMode(store.Path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherRead);
        store.Save(Sample);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(store.Path));
    }

    [Fact]
    public void Load_ReturnsWhatWasSaved_AndDeleteRemovesIt()
    {
        using var environment = new TestEnvironment();
        var store = new SessionStore(environment.Environment.ConfigPath);
        Assert.Null(store.Load());
        store.Save(Sample);
        var loaded = store.Load()!;
        Assert.Equal(Sample with { Roles = loaded.Roles }, loaded);
        Assert.Equal(["admin"], loaded.Roles);
        Assert.True(store.Delete());
        Assert.Null(store.Load());
    }

    [Fact]
    public async Task AnExpiredStoredToken_IsAnAuthError_ThatSaysToLogInAgain()
    {
        using var environment = new TestEnvironment();
        var store = new SessionStore(environment.Environment.ConfigPath);
        store.Save(Sample with { ExpiresAt = DateTimeOffset.UtcNow.AddMinutes(-1) });
        var provider = new SessionProvider(environment.Environment, new KeystoneClient(new HttpClient()), store, TimeProvider.System);
        var error = await Assert.ThrowsAsync<CliException>(() => provider.GetAsync(default));
        Assert.Equal(ExitCodes.Auth, error.ExitCode);
        Assert.Contains("run `hoard login` again", error.Message, StringComparison.Ordinal);
    }
}
