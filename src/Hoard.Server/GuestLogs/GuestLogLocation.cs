namespace Hoard.Server.GuestLogs;

/// <summary>
/// Where an instance's published log lives: objects <c>{Prefix}log-000001</c>, <c>…000002</c> … (one per publish) and the
/// <see cref="Metafile"/> that lists them, in <see cref="Container"/> (Trove's <c>database_logs</c>).
/// </summary>
internal sealed record GuestLogLocation(string Container, string Prefix, string Metafile)
{
    public const string DefaultContainer = "database_logs";

    public static GuestLogLocation For(string projectId, string instanceId, string logName) =>
        new(DefaultContainer, $"{projectId}/{instanceId}/{logName}/", $"{projectId}/{instanceId}/{logName}_metafile");

    public string PartName(int sequence) => $"{Prefix}log-{sequence:D6}";

    /// <summary>The location of a log from its <see cref="Prefix"/> or one of its parts' names, as Swift clients send them back.</summary>
    public static GuestLogLocation? FromObjectName(string name) =>
        name.Split('/') is [var project, var instance, var log, ..] && project.Length > 0 && instance.Length > 0 && log.Length > 0
            ? For(project, instance, log)
            : null;
}
