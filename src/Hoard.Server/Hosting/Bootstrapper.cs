using System.Text.Json;
using Hoard.Core.Catalog;
using Hoard.Core.Identity;
using Hoard.Persistence;
using Hoard.Server.Apis;
using Hoard.Server.Identity;
using Microsoft.Extensions.Options;

namespace Hoard.Server.Hosting;

/// <summary>
/// Before serving: create the data dir, upgrade the state DB, load flavors and datastore versions from
/// configuration, and on first start create an admin user and a demo project (credentials go to a 0600 file,
/// never to the log). Several processes may start together on one state DB: the schema upgrade serializes itself, and
/// the rest runs under the <c>bootstrap</c> lease, one process after another. Only a process with the api role creates
/// the first users, as the credentials file names its URL.
/// </summary>
internal sealed partial class Bootstrapper(
    StateDb db,
    CatalogStore catalog,
    IdentityStore identity,
    LeaseStore leases,
    ProcessIdentity process,
    HoardRoles roles,
    IOptions<HoardOptions> options,
    TimeProvider time,
    ILogger<Bootstrapper> logger)
{
    private const string LeaseName = "bootstrap";
    private static readonly TimeSpan LeaseLength = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan WaitForLease = TimeSpan.FromMinutes(3);

    private static readonly Flavor[] DefaultFlavors =
    [
        new("1", "m1.tiny", 512, 1, 5),
        new("2", "m1.small", 1024, 1, 10),
        new("3", "m1.medium", 2048, 2, 20),
        new("4", "m1.large", 4096, 2, 40),
        new("5", "m1.xlarge", 8192, 4, 80),
    ];

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var o = options.Value;
        Directory.CreateDirectory(o.DataDir);
        // Guests (another OS user) must traverse the data dir to reach their instance dir and the bus socket.
        File.SetUnixFileMode(o.DataDir, (UnixFileMode)0b111_001_001);
        Directory.CreateDirectory(Path.GetDirectoryName(o.BusSocket)!);
        File.SetUnixFileMode(Path.GetDirectoryName(o.BusSocket)!, (UnixFileMode)0b111_101_101);
        await db.MigrateAsync(cancellationToken);
        LogStateDb(db.Description, StateDb.SchemaVersion);
        LogRoles(roles.ToString(), process.Id);
        if (roles.SoleProcess)
        {
            await LoadAsync(o, cancellationToken);
            return;
        }

        await AcquireLeaseAsync(cancellationToken);
        try
        {
            await LoadAsync(o, cancellationToken);
        }
        finally
        {
            await leases.ReleaseAsync(LeaseName, process.Id, CancellationToken.None);
        }
    }

    /// <summary>Waits (with a deadline) while another process bootstraps; a holder that died releases it when the lease expires.</summary>
    private async Task AcquireLeaseAsync(CancellationToken cancellationToken)
    {
        var deadline = time.GetUtcNow() + WaitForLease;
        while (true)
        {
            var now = time.GetUtcNow();
            if (await leases.TryAcquireAsync(LeaseName, process.Id, now, now + LeaseLength, cancellationToken))
            {
                return;
            }

            if (now > deadline)
            {
                throw new TimeoutException($"Another process held the '{LeaseName}' lease for over {WaitForLease.TotalMinutes:0} minutes.");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(200), time, cancellationToken);
        }
    }

    private async Task LoadAsync(HoardOptions o, CancellationToken cancellationToken)
    {
        foreach (var flavor in DefaultFlavors)
        {
            await catalog.UpsertFlavorAsync(flavor, cancellationToken);
        }

        foreach (var file in DatastoreFiles(o))
        {
            var definition = JsonSerializer.Deserialize(await File.ReadAllTextAsync(file, cancellationToken), CatalogJson.Default.DatastoreDefinition)
                             ?? throw new InvalidDataException($"Empty datastore definition {file}.");
            await catalog.UpsertDatastoreAsync(definition, cancellationToken);
            LogDatastore(definition.Name, string.Join(", ", definition.Versions.Select(v => v.Name)), file);
        }

        // With an external Keystone, users live there; a local admin could not log in anywhere. Only an api process
        // creates them: the credentials file names its URL.
        if (roles.Api && !o.Identity.IsKeystone && !await identity.AnyUserAsync(cancellationToken))
        {
            try
            {
                await CreateFirstUsersAsync(o, cancellationToken);
            }
            catch (Exception e) when (StateDb.IsUniqueViolation(e))
            {
                // Servers sharing a PostgreSQL state DB that start at once: another one created them first.
                LogFirstUsersElsewhere();
            }
        }
    }

    /// <summary>Shipped definitions first, then the operator's in &lt;data-dir&gt;/datastores (same id wins last).</summary>
    private static IEnumerable<string> DatastoreFiles(HoardOptions o)
    {
        foreach (var dir in new[] { Path.Combine(AppContext.BaseDirectory, "datastores"), Path.Combine(o.DataDir, "datastores") })
        {
            if (Directory.Exists(dir))
            {
                foreach (var file in Directory.EnumerateFiles(dir, "*.json").Order(StringComparer.Ordinal))
                {
                    yield return file;
                }
            }
        }
    }

    private async Task CreateFirstUsersAsync(HoardOptions o, CancellationToken cancellationToken)
    {
        var admin = new Project(Guid.NewGuid().ToString("N"), "admin", IdentityApi.DomainId, true);
        var demo = new Project(Guid.NewGuid().ToString("N"), "demo", IdentityApi.DomainId, true);
        await identity.CreateProjectAsync(admin, cancellationToken);
        await identity.CreateProjectAsync(demo, cancellationToken);
        var password = Secrets.NewPassword();
        var user = new UserAccount(Guid.NewGuid().ToString("N"), "admin", IdentityApi.DomainId, PasswordHasher.Hash(password), true);
        await identity.CreateUserAsync(user, cancellationToken);
        await identity.AssignRoleAsync(user.Id, admin.Id, RoleNames.Admin, cancellationToken);
        await identity.AssignRoleAsync(user.Id, demo.Id, RoleNames.Admin, cancellationToken);

        var openrc = Path.Combine(o.DataDir, "admin-openrc.sh");
        var content = $"""
            # Hoard credentials for the 'admin' user, created on first start. Keep this file private.
            export OS_AUTH_URL={o.BaseUrl}/v3
            export OS_IDENTITY_API_VERSION=3
            export OS_USERNAME=admin
            export OS_PASSWORD={password}
            export OS_PROJECT_NAME=demo
            export OS_USER_DOMAIN_NAME=Default
            export OS_PROJECT_DOMAIN_NAME=Default
            export OS_REGION_NAME={o.Region}

            """;
        await File.WriteAllTextAsync(openrc, content, cancellationToken);
        File.SetUnixFileMode(openrc, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        LogFirstStart(openrc);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "State DB: {Description}, schema version {Version}")]
    private partial void LogStateDb(string description, int version);

    [LoggerMessage(Level = LogLevel.Information, Message = "First start: another server sharing the state DB created the first users")]
    private partial void LogFirstUsersElsewhere();
    [LoggerMessage(Level = LogLevel.Information, Message = "Roles: {Roles} (process {Process})")]
    private partial void LogRoles(string roles, string process);

    [LoggerMessage(Level = LogLevel.Information, Message = "Datastore {Name} ({Versions}) from {File}")]
    private partial void LogDatastore(string name, string versions, string file);

    [LoggerMessage(Level = LogLevel.Information, Message = "First start: created user 'admin' and projects 'admin' and 'demo'; credentials are in {File}")]
    private partial void LogFirstStart(string file);
}
