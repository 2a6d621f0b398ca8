using Hoard.Contracts.Guest;
using Hoard.Core.Identity;
using Hoard.Core.Instances;
using Hoard.Core.Workflows;
using Hoard.Persistence;

namespace Hoard.Bench.Scale;

/// <summary>
/// Fills a stopped hoard-server's state DB with instances through the server's own stores (no SQL of the bench's own to
/// drift from the schema). Each instance is as a finished provisioning leaves it: ACTIVE, no task, its guest last heard
/// HEALTHY just now, a loopback address and a bus secret, and a SUCCEEDED provision_instance workflow (so the workflow
/// engine has nothing to resume). No guest runs for them: the bench's simulated guests stand in during the heartbeat phase.
/// </summary>
internal static class StateSeeder
{
    private const string Domain = "default";

    /// <summary>Spreads <paramref name="count"/> instances round-robin over <paramref name="projects"/> projects: demo, then new ones.</summary>
    public static async Task<IReadOnlyList<SeededInstance>> SeedAsync(string stateDbPath, int count, int projects, CancellationToken cancellationToken)
    {
        var time = TimeProvider.System;
        var db = new StateDb(stateDbPath);
        var identity = new IdentityStore(db, time);
        var catalog = new CatalogStore(db);
        var instances = new InstanceStore(db, time);

        var admin = await identity.FindUserAsync(Domain, null, "admin", cancellationToken)
                    ?? throw new InvalidOperationException("The state DB has no admin user: hoard-server's first start did not run.");
        var targets = new List<Project>
        {
            await identity.FindProjectAsync(Domain, null, "demo", cancellationToken)
            ?? throw new InvalidOperationException("The state DB has no demo project."),
        };
        for (var p = 2; p <= projects; p++)
        {
            var project = new Project(Guid.NewGuid().ToString("N"), $"scale-{p:00}", Domain, true);
            await identity.CreateProjectAsync(project, cancellationToken);
            await identity.AssignRoleAsync(admin.Id, project.Id, RoleNames.Member, cancellationToken);
            targets.Add(project);
        }

        var versions = await catalog.ListVersionsAsync(cancellationToken);
        var version = versions.FirstOrDefault(v => v is { DatastoreName: "mariadb", Active: true }) ?? versions.First(v => v.Active);
        var flavor = (await catalog.ListFlavorsAsync(cancellationToken)).OrderBy(f => f.RamMb).First();

        var seeded = new List<SeededInstance>(count);
        var start = time.GetUtcNow().AddMinutes(-count);
        for (var i = 0; i < count; i++)
        {
            var project = targets[i % targets.Count];
            // Distinct creation times: the list's order (created DESC, id DESC) and its markers do not depend on ties.
            var created = start.AddMilliseconds(i * 10);
            var secret = BusSecrets.NewSecret();
            var instance = new InstanceRecord
            {
                Id = Guid.NewGuid().ToString(), ProjectId = project.Id, Name = $"scale-{i + 1:00000}", FlavorId = flavor.Id,
                DatastoreVersionId = version.Id, VolumeSize = 1, Task = InstanceTask.None, ServerStatus = ServerStatus.Active,
                ServiceStatus = ServiceStatus.Healthy, ServiceStatusUpdated = time.GetUtcNow(),
                Address = $"127.100.{1 + (i / 250)}.{1 + (i % 250)}", Port = version.Capabilities.Port,
                BusSecretHash = BusSecrets.Hash(secret), Created = created, Updated = created,
            };
            var workflow = new WorkflowRecord
            {
                Id = Guid.NewGuid().ToString(), Type = "provision_instance", InstanceId = instance.Id, Status = WorkflowStatus.Succeeded,
                Created = created, Updated = created,
            };
            await instances.InsertAsync(instance, workflow, cancellationToken);
            seeded.Add(new SeededInstance(instance.Id, project.Id, project.Name, secret));
        }

        return seeded;
    }
}
