using System.Text.Json;
using Hoard.Contracts.Guest;
using Hoard.Core.Backups;
using Hoard.Core.Catalog;
using Hoard.Core.Compute;
using Hoard.Core.Identity;
using Hoard.Core.Instances;
using Hoard.Core.Tests.Backups;
using Hoard.Core.Workflows;
using Hoard.Persistence;
using Hoard.Providers.Local;
using Hoard.Server.Apis;
using Hoard.Server.Hosting;
using Hoard.Server.Identity;
using Hoard.Server.Trove;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Hoard.Core.Tests.Server.Backups;

/// <summary>
/// What the backup code runs on, all real: a SQLite state DB with the shipped datastores, local backup storage and a
/// master key in a temporary directory, and (on request) a Kestrel server with the transfer endpoints on loopback.
/// </summary>
internal sealed class BackupBed : IAsyncDisposable
{
    private WebApplication? _transfers;

    private BackupBed(TempDir dir, StateDb? db)
    {
        Dir = dir;
        Options = new HoardOptions { DataDir = dir.Path, BackupTimeoutSeconds = 60, RestoreTimeoutSeconds = 60 };
        Db = db ?? new StateDb(Options.StateDbPath);
        Instances = new InstanceStore(Db, TimeProvider.System);
        Catalog = new CatalogStore(Db);
        Backups = new BackupStore(Db, TimeProvider.System);
        Strategies = new BackupStrategyStore(Db, TimeProvider.System);
        Workflows = new WorkflowStore(Db);
        Quotas = new QuotaStore(Db, TimeProvider.System);
        Storage = new LocalBackupStorage(Options.BackupDir);
        Pipeline = new BackupPipeline(Storage, new BackupKeyring(Options.BackupKeyPath));
        Tokens = new TransferTokens(TimeProvider.System);
    }

    public TempDir Dir { get; }
    public HoardOptions Options { get; }
    public StateDb Db { get; }
    public InstanceStore Instances { get; }
    public CatalogStore Catalog { get; }
    public BackupStore Backups { get; }

    public BackupStrategyStore Strategies { get; }
    public WorkflowStore Workflows { get; }
    public QuotaStore Quotas { get; }
    public LocalBackupStorage Storage { get; }
    public BackupPipeline Pipeline { get; }
    public TransferTokens Tokens { get; }

    /// <param name="db">Another state DB than the SQLite file in the bed's dir (the store tests run on PostgreSQL too).</param>
    public static async Task<BackupBed> CreateAsync(StateDb? db = null)
    {
        var bed = new BackupBed(new TempDir(), db);
        await bed.Db.MigrateAsync(default);
        await bed.Catalog.UpsertFlavorAsync(new Flavor("1", "m1.tiny", 512, 1, 5), default);
        foreach (var file in Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "datastores"), "*.json"))
        {
            await bed.Catalog.UpsertDatastoreAsync(JsonSerializer.Deserialize(await File.ReadAllTextAsync(file), CatalogJson.Default.DatastoreDefinition)!, default);
        }

        return bed;
    }

    public static TokenInfo Token(string project, string role = RoleNames.Member) =>
        new("u-" + project, "user", project, project, [role], DateTimeOffset.UtcNow, DateTimeOffset.UtcNow.AddHours(1));

    /// <summary>A request as the API sees it after authentication.</summary>
    public DefaultHttpContext Request(TokenInfo token, string? body = null, string query = "")
    {
        var http = new DefaultHttpContext();
        http.Items[TroveAuthMiddleware.TokenKey] = token;
        http.Request.Scheme = "http";
        http.Request.Host = new HostString("hoard.test");
        http.Request.QueryString = new QueryString(query);
        if (body is not null)
        {
            http.Request.Body = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(body));
        }

        return http;
    }

    public async Task<InstanceRecord> AddInstanceAsync(string project, string datastore = "mariadb", InstanceTask task = InstanceTask.None,
        ServiceStatus service = ServiceStatus.Healthy, ServerStatus server = ServerStatus.Active)
    {
        var version = (await Catalog.ListVersionsAsync(default)).First(v => v.DatastoreName == datastore);
        var now = DateTimeOffset.UtcNow;
        var instance = new InstanceRecord
        {
            Id = Guid.NewGuid().ToString(), ProjectId = project, Name = "i", FlavorId = "1", DatastoreVersionId = version.Id, VolumeSize = 1,
            Task = task, ServerStatus = server, ServiceStatus = service, Port = version.Capabilities.Port, Created = now, Updated = now,
        };
        var built = new WorkflowRecord
        {
            Id = Guid.NewGuid().ToString(), Type = "provision_instance", InstanceId = instance.Id, Status = WorkflowStatus.Succeeded,
            Created = now, Updated = now,
        };
        await Instances.InsertAsync(instance, built, default);
        return instance;
    }

    /// <summary>A backup row as the API inserts it, for an existing instance.</summary>
    public static BackupRecord NewBackup(InstanceRecord instance, DatastoreVersion version, string? name = null) => new()
    {
        Id = Guid.NewGuid().ToString(), ProjectId = instance.ProjectId, InstanceId = instance.Id, Name = name ?? "b",
        DatastoreType = version.DatastoreName, DatastoreVersion = version.Name, DatastoreVersionId = version.Id,
        Strategy = version.Capabilities.BackupStrategy!, StorageDriver = LocalBackupStorage.DriverName, Encrypted = true,
        Created = DateTimeOffset.UtcNow, Updated = DateTimeOffset.UtcNow,
    };

    /// <summary>
    /// A COMPLETED backup of <paramref name="instance"/> holding <paramref name="data"/>, made through the real pipeline;
    /// an incremental one when <paramref name="parent"/> is given.
    /// </summary>
    public async Task<BackupRecord> AddCompletedBackupAsync(InstanceRecord instance, byte[] data, long toolBytes = 1000, BackupRecord? parent = null)
    {
        var version = (await Catalog.GetVersionAsync(instance.DatastoreVersionId, default))!;
        var backup = NewBackup(instance, version);
        backup.ParentId = parent?.Id;
        var workflow = new WorkflowRecord
        {
            Id = Guid.NewGuid().ToString(), Type = "create_backup", InstanceId = instance.Id, Status = WorkflowStatus.Succeeded,
            Created = backup.Created, Updated = backup.Created,
        };
        var (begun, _) = await Backups.TryBeginAsync(backup, workflow, InstanceTask.BackingUp, [instance.Task], new Dictionary<string, int>(), default);
        Assert.True(begun, "the backup could not be inserted");
        await Instances.SetTaskAsync(instance.Id, instance.Task, default);
        Assert.True(await Backups.TryBeginBuildingAsync(backup.Id, default));
        Assert.True(await Backups.TryRecordUploadAsync(backup.Id, await Pipeline.StoreAsync(backup, new MemoryStream(data), true, default), default));
        Assert.True(await Backups.TryCompleteAsync(backup.Id, toolBytes, """{"to_lsn":"42"}""", default));
        return (await Backups.GetAsync(backup.Id, default))!;
    }

    /// <summary>Starts Kestrel with the transfer endpoints on a free loopback port; guests' URLs then point at it.</summary>
    public async Task StartTransfersAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(Backups);
        builder.Services.AddSingleton(Pipeline);
        builder.Services.AddSingleton(Tokens);
        _transfers = builder.Build();
        _transfers.UseMiddleware<FaultMiddleware>();
        _transfers.MapBackupTransfersApi();
        await _transfers.StartAsync();
        Options.BackupTransferUrl = _transfers.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
    }

    public IOptions<HoardOptions> OptionsWrapper => Microsoft.Extensions.Options.Options.Create(Options);

    public static ILogger<T> Log<T>() => NullLogger<T>.Instance;

    public async ValueTask DisposeAsync()
    {
        if (_transfers is not null)
        {
            await _transfers.StopAsync();
            await _transfers.DisposeAsync();
        }

        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Dir.Dispose();
    }
}
