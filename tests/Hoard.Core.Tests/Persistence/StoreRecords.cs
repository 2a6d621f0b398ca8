using Hoard.Contracts.Guest;
using Hoard.Core.Instances;
using Hoard.Core.Workflows;

namespace Hoard.Core.Tests.Persistence;

/// <summary>Rows as the API inserts them, for the store tests.</summary>
internal static class StoreRecords
{
    public static InstanceRecord Instance(string project, DateTimeOffset? created = null, string? address = null, string flavor = "1",
        int volumeSize = 1, InstanceTask task = InstanceTask.None)
    {
        var at = created ?? DateTimeOffset.UtcNow;
        return new InstanceRecord
        {
            Id = Guid.NewGuid().ToString(), ProjectId = project, Name = "i-" + Guid.NewGuid().ToString("N")[..6], FlavorId = flavor,
            DatastoreVersionId = "v1", VolumeSize = volumeSize, Task = task, ServerStatus = ServerStatus.Active,
            ServiceStatus = ServiceStatus.Healthy, Port = 3306, Address = address, Created = at, Updated = at,
        };
    }

    public static WorkflowRecord Workflow(string instanceId, string data = "{}", string type = "test", DateTimeOffset? created = null)
    {
        var at = created ?? DateTimeOffset.UtcNow;
        return new WorkflowRecord { Id = Guid.NewGuid().ToString(), Type = type, InstanceId = instanceId, Data = data, Created = at, Updated = at };
    }
}
