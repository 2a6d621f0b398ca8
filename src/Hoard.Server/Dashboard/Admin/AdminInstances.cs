using Hoard.Server.Dashboard.Api;
using Hoard.Server.Dashboard.Shared;

namespace Hoard.Server.Dashboard.Admin;

/// <summary>An admin page over every project's instances (<c>GET /mgmt/instances</c>), refreshed like the instances list.</summary>
public abstract class AdminInstances : LivePage
{
    protected IReadOnlyList<InstanceView> Instances { get; private set; } = [];

    protected override Task RefreshAsync() =>
        ReadAsync(async () => Instances = (await Api.GetAsync("mgmt/instances?limit=1000", ApiJson.Default.InstancesEnvelope, Closed)).Instances);
}
