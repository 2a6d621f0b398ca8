using Hoard.Core.Compute;
using Hoard.Providers.Hosts;
using Hoard.Server.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace Hoard.Core.Tests.Server.Hosting;

/// <summary>The <c>Compute</c> setting: which providers hoard-server runs instances with.</summary>
public sealed class ComputeSelectionTests
{
    [Fact]
    public void Hosts_WithoutTheRabbitMqBus_StopsTheServerAtStart_SayingWhy()
    {
        var refused = Assert.Throws<InvalidOperationException>(() => new ServiceCollection().AddHoardCompute(new HoardOptions { Compute = "hosts" }));

        Assert.Contains("needs Hoard:Bus=rabbitmq", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AnUnknownCompute_StopsTheServerAtStart()
    {
        var refused = Assert.Throws<InvalidOperationException>(() => new ServiceCollection().AddHoardCompute(new HoardOptions { Compute = "nova" }));

        Assert.Equal("Compute 'nova' is unknown; use local or hosts.", refused.Message);
    }

    [Fact]
    public void Hosts_OnRabbitMq_RegistersTheForwardingProviders_AndNoFirewall()
    {
        var options = new HoardOptions { Compute = "hosts", Bus = "rabbitmq" };
        options.RabbitMq.Url = "amqp://hoard:secret@127.0.0.1:5672/";
        var services = new ServiceCollection().AddHoardCompute(options);

        Assert.Contains(services, d => d.ServiceType == typeof(IVolumeProvider) && d.ImplementationType == typeof(HostsVolumeProvider));
        Assert.Contains(services, d => d.ServiceType == typeof(HostsComputeProvider));
        var network = Assert.Single(services, d => d.ServiceType == typeof(INetworkAccessProvider)).ImplementationInstance;
        Assert.NotNull(((INetworkAccessProvider)network!).UnavailableReason);
    }
}
