using System.Text.Json;
using Hoard.Contracts;
using Hoard.Contracts.Bus;
using Hoard.Contracts.Conductor;
using Hoard.Contracts.Guest;
using Hoard.Guest.Datastores;

namespace Hoard.Guest;

/// <summary>
/// Receives guest verbs on <c>guest.&lt;instance-id&gt;</c>, hands them to the datastore manager, and reports the
/// service status, how full the volume is and the server's crashes to the conductor every few seconds, and at once
/// whenever one of them changes.
/// </summary>
internal sealed class GuestAgent(GuestConfig config, IMessageBus bus, IDatastoreManager manager, GuestLog log, TimeProvider time)
{
    private readonly Lock _gate = new();
    private ServiceStatus _status = ServiceStatus.New;
    private string? _fault;
    private string? _faultDetails;
    private VolumeReport? _volume;
    private ReplicationReport? _replication;
    private DatastoreMetricsReport? _metrics;
    private Task? _prepare;
    private readonly SemaphoreSlim _reportNow = new(0);
    private readonly VolumeMonitor _volumeMonitor = new(config.Paths.Data);
    private readonly ServerCrashReporter _crashes = new(time);
    private readonly Backups.WalSpoolUploader _walArchive = new(config.Paths, log.Info, time);

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        manager.ServerCrashed += OnServerCrashed;
        MeasureVolume();
        await bus.SubscribeAsync(BusTopics.Guest(config.InstanceId), HandleAsync, cancellationToken);
        if (manager.IsPrepared)
        {
            await StartPreparedAsync(cancellationToken);
        }

        // Archiving runs beside everything else: a segment waits in the spool while hoard-server is away.
        var archiving = _walArchive.RunAsync(cancellationToken);
        var interval = TimeSpan.FromSeconds(config.HeartbeatIntervalSeconds);
        while (!cancellationToken.IsCancellationRequested)
        {
            MeasureVolume();
            await ProbeAsync(cancellationToken);
            await SampleMetricsAsync(cancellationToken);
            await HeartbeatAsync(cancellationToken);
            try
            {
                await _reportNow.WaitAsync(interval, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        await archiving;
    }

    public async Task ShutdownAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            await manager.StopAsync(timeout.Token);
            SetStatus(ServiceStatus.Shutdown);
            await HeartbeatAsync(timeout.Token);
        }
        catch (Exception e)
        {
            log.Error("Stopping the database server failed", e);
        }
    }

    private async Task StartPreparedAsync(CancellationToken cancellationToken)
    {
        try
        {
            await manager.StartAsync(cancellationToken);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            log.Error("Starting the prepared database server failed", e);
            SetStatus(ServiceStatus.Crashed, "The database server did not start.", e.Message);
        }
    }

    private async Task ProbeAsync(CancellationToken cancellationToken)
    {
        ServiceStatus current;
        lock (_gate)
        {
            current = _status;
        }

        if (!manager.IsPrepared || current is ServiceStatus.Building or ServiceStatus.Failed or ServiceStatus.Restarting)
        {
            return;
        }

        try
        {
            SetStatus(await manager.ProbeAsync(cancellationToken));
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            log.Error("Probing the database server failed", e);
            SetStatus(ServiceStatus.Unknown);
        }

        await ProbeReplicationAsync(cancellationToken);
    }

    /// <summary>The replication state rides on every heartbeat: lag for <c>show</c>, positions for choosing whom to promote.</summary>
    private async Task ProbeReplicationAsync(CancellationToken cancellationToken)
    {
        ReplicationReport? report;
        try
        {
            report = await manager.GetReplicationStatusAsync(cancellationToken);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            // A server that does not answer has no position to report; its status already says why.
            report = null;
            if (e is not HandlerException)
                log.Error("Reading the replication state failed", e);
        }

        lock (_gate)
        {
            _replication = report;
        }
    }

    private async Task SampleMetricsAsync(CancellationToken cancellationToken)
    {
        DatastoreMetricsReport? metrics;
        try
        {
            metrics = await manager.SampleMetricsAsync(cancellationToken);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            log.Error("Sampling the database server's metrics failed", e);
            metrics = null;
        }

        lock (_gate)
        {
            _metrics = metrics;
        }
    }

    private Task HeartbeatAsync(CancellationToken cancellationToken)
    {
        HeartbeatPayload payload;
        lock (_gate)
        {
            payload = new HeartbeatPayload(config.InstanceId, _status, _fault, _faultDetails, _volume,
                _crashes.Current(healthy: _status == ServiceStatus.Healthy), _replication, _metrics);
        }

        return bus.CastAsync(BusTopics.Conductor, ConductorMethods.Heartbeat, HoardJson.ToElement(payload), cancellationToken);
    }

    private void MeasureVolume()
    {
        var volume = _volumeMonitor.Measure();
        bool changed;
        lock (_gate)
        {
            changed = volume?.Full != _volume?.Full;
            _volume = volume;
        }

        if (changed && volume is not null)
        {
            log.Info(volume.Full
                ? $"The volume is full: {volume.AvailableBytes} of {volume.SizeBytes} bytes free"
                : $"The volume has room: {volume.AvailableBytes} of {volume.SizeBytes} bytes free");
            _reportNow.Release();
        }
    }

    /// <summary>On the supervisor's thread, before its restart delay: report the crash at once, with the volume as it is now.</summary>
    private void OnServerCrashed(ServerCrash crash)
    {
        MeasureVolume();
        VolumeReport? volume;
        lock (_gate)
        {
            volume = _volume;
        }

        var report = _crashes.Record(crash, volume);
        log.Info($"Server crash reported: {report.Details}");
        SetStatus(ServiceStatus.Crashed);
        _reportNow.Release();
    }

    private void SetStatus(ServiceStatus status, string? fault = null, string? details = null)
    {
        bool changed;
        lock (_gate)
        {
            changed = _status != status || _fault != fault;
            _status = status;
            _fault = fault;
            _faultDetails = details;
        }

        if (changed)
        {
            log.Info($"Service status {status}");
            _reportNow.Release();
        }
    }

    private async Task<JsonElement?> HandleAsync(BusEnvelope message, CancellationToken cancellationToken)
    {
        switch (message.Method)
        {
            case GuestMethods.Prepare:
                StartPrepare(HoardJson.FromElement<PrepareRequest>(message.Args));
                return null;
            case GuestMethods.Ping:
                return HoardJson.ToElement(new BoolResult(true));
        }

        if (!manager.IsPrepared)
        {
            throw new HandlerException(GuestErrorCodes.NotReady, "The database server is not prepared yet.");
        }

        switch (message.Method)
        {
            case GuestMethods.Restart:
                SetStatus(ServiceStatus.Restarting);
                try
                {
                    await manager.RestartAsync(cancellationToken);
                }
                finally
                {
                    SetStatus(ServiceStatus.Running);
                    await ProbeAsync(cancellationToken);
                }

                return null;
            case GuestMethods.CreateDatabases:
                await manager.CreateDatabasesAsync(HoardJson.FromElement<CreateDatabasesRequest>(message.Args).Databases, cancellationToken);
                return null;
            case GuestMethods.ListDatabases:
                return HoardJson.ToElement(new DatabaseList(await manager.ListDatabasesAsync(cancellationToken)));
            case GuestMethods.DeleteDatabase:
                await manager.DeleteDatabaseAsync(HoardJson.FromElement<NameRequest>(message.Args).Name, cancellationToken);
                return null;
            case GuestMethods.CreateUsers:
                await manager.CreateUsersAsync(HoardJson.FromElement<CreateUsersRequest>(message.Args).Users, cancellationToken);
                return null;
            case GuestMethods.ListUsers:
                return HoardJson.ToElement(new UserList(await manager.ListUsersAsync(cancellationToken)));
            case GuestMethods.GetUser:
                return HoardJson.ToElement(await manager.GetUserAsync(HoardJson.FromElement<UserRef>(message.Args), cancellationToken));
            case GuestMethods.UpdateUserAttributes:
                await manager.UpdateUserAttributesAsync(HoardJson.FromElement<UserAttributes>(message.Args), cancellationToken);
                return null;
            case GuestMethods.ChangePasswords:
                await manager.ChangePasswordsAsync(HoardJson.FromElement<CreateUsersRequest>(message.Args).Users, cancellationToken);
                return null;
            case GuestMethods.DeleteUser:
                await manager.DeleteUserAsync(HoardJson.FromElement<UserRef>(message.Args), cancellationToken);
                return null;
            case GuestMethods.GrantAccess:
                await manager.GrantAccessAsync(HoardJson.FromElement<AccessRequest>(message.Args), cancellationToken);
                return null;
            case GuestMethods.RevokeAccess:
                var revoke = HoardJson.FromElement<AccessRequest>(message.Args);
                foreach (var database in revoke.Databases)
                {
                    await manager.RevokeAccessAsync(new UserRef(revoke.Name, revoke.Host), database, cancellationToken);
                }

                return null;
            case GuestMethods.ListAccess:
                var access = await manager.ListAccessAsync(HoardJson.FromElement<UserRef>(message.Args), cancellationToken);
                return HoardJson.ToElement(new DatabaseList([.. access.Select(d => new DatabaseSpec(d))]));
            case GuestMethods.EnableRoot:
                var request = message.Args is { } a ? HoardJson.FromElement<EnableRootRequest>(a) : new EnableRootRequest(null);
                return HoardJson.ToElement(await manager.EnableRootAsync(request.Password, cancellationToken));
            case GuestMethods.DisableRoot:
                await manager.DisableRootAsync(cancellationToken);
                return null;
            case GuestMethods.IsRootEnabled:
                return HoardJson.ToElement(new BoolResult(await manager.IsRootEnabledAsync(cancellationToken)));
            case GuestMethods.UpdateOverrides:
                return HoardJson.ToElement(await manager.UpdateOverridesAsync(HoardJson.FromElement<UpdateOverridesRequest>(message.Args), cancellationToken));
            case GuestMethods.GetConfiguration:
                return HoardJson.ToElement(new ConfigurationValues(await manager.GetConfigurationAsync(cancellationToken)));
            case GuestMethods.CreateBackup:
                return HoardJson.ToElement(await CreateBackupAsync(HoardJson.FromElement<CreateBackupRequest>(message.Args), cancellationToken));
            case GuestMethods.GetReplicaContext:
                return HoardJson.ToElement(await manager.GetReplicaContextAsync(HoardJson.FromElement<ReplicaContextRequest>(message.Args), cancellationToken));
            case GuestMethods.AttachReplica:
                await manager.AttachReplicaAsync(HoardJson.FromElement<AttachReplicaRequest>(message.Args).Source, cancellationToken);
                await ReportReplicationNowAsync(cancellationToken);
                return null;
            case GuestMethods.ForgetReplica:
                await manager.ForgetReplicaAsync(HoardJson.FromElement<ForgetReplicaRequest>(message.Args).ReplicaId, cancellationToken);
                return null;
            case GuestMethods.GetReplicationStatus:
                return await manager.GetReplicationStatusAsync(cancellationToken) is { } status ? HoardJson.ToElement(status) : null;
            case GuestMethods.Promote:
                var promoted = await manager.PromoteAsync(cancellationToken);
                await ReportReplicationNowAsync(cancellationToken);
                return HoardJson.ToElement(promoted);
            case GuestMethods.Demote:
                var demoted = await manager.DemoteAsync(cancellationToken);
                await ReportReplicationNowAsync(cancellationToken);
                return HoardJson.ToElement(demoted);
            case GuestMethods.ListGuestLogs:
                return HoardJson.ToElement(await manager.Logs.ListAsync(cancellationToken));
            case GuestMethods.SetGuestLog:
                return HoardJson.ToElement(await manager.Logs.SetEnabledAsync(HoardJson.FromElement<SetGuestLogRequest>(message.Args), cancellationToken));
            case GuestMethods.ReadGuestLog:
                return HoardJson.ToElement(await manager.Logs.ReadAsync(HoardJson.FromElement<ReadGuestLogRequest>(message.Args), cancellationToken));
            case GuestMethods.SetWalArchive:
                Backups.WalSpool.SaveTarget(config.Paths, HoardJson.FromElement<WalArchiveTarget>(message.Args));
                log.Info("WAL archive target replaced (a rotated WAL token).");
                return null;
            default:
                throw new HandlerException(GuestErrorCodes.NotSupported, $"The guest does not know '{message.Method}'.");
        }
    }

    /// <summary>After a role change the conductor hears of it at once, not at the next beat.</summary>
    private async Task ReportReplicationNowAsync(CancellationToken cancellationToken)
    {
        await ProbeReplicationAsync(cancellationToken);
        _reportNow.Release();
    }

    /// <summary>A backup that fails on a full volume says so: the tool's own error rarely does.</summary>
    private async Task<CreateBackupResult> CreateBackupAsync(CreateBackupRequest request, CancellationToken cancellationToken)
    {
        try
        {
            return await manager.CreateBackupAsync(request, cancellationToken);
        }
        catch (HandlerException e) when (FullVolume() is { } volume)
        {
            throw new HandlerException(e.Code,
                $"{e.Message} The volume is full ({volume.AvailableBytes} of {volume.SizeBytes} bytes free), which may be why.");
        }
    }

    private VolumeReport? FullVolume()
    {
        MeasureVolume();
        lock (_gate)
        {
            return _volume is { Full: true } ? _volume : null;
        }
    }

    private void StartPrepare(PrepareRequest request)
    {
        // Even from a repeated prepare: the build's WAL token is the one its hoard-server holds the hash of.
        if (request.WalArchive is { } walArchive)
        {
            Backups.WalSpool.SaveTarget(config.Paths, walArchive);
        }

        lock (_gate)
        {
            // A resumed workflow may send prepare again: a second one only re-reports the status.
            if (_prepare is not null || manager.IsPrepared)
            {
                _reportNow.Release();
                return;
            }

            _status = ServiceStatus.Building;
            _prepare = Task.Run(async () =>
            {
                try
                {
                    var started = time.GetTimestamp();
                    await manager.PrepareAsync(request, CancellationToken.None);
                    log.Info($"Prepared in {time.GetElapsedTime(started).TotalMilliseconds:0} ms");
                    SetStatus(ServiceStatus.Healthy);
                }
                catch (Exception e)
                {
                    log.Error("Prepare failed", e);
                    SetStatus(ServiceStatus.Failed, "Preparing the database server failed: " + e.Message, e.GetType().Name);
                }
            });
        }

        _reportNow.Release();
    }
}
