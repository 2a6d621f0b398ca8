using System.Reflection;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace Hoard.Core.Tests.Messaging;

/// <summary>
/// A contract test, skipped for a transport whose test class says why it cannot run here: a public static
/// <c>SkipReason</c> that is not null (RabbitMQ not installed, say). A plain Fact cannot skip per subclass.
/// </summary>
[XunitTestCaseDiscoverer("Hoard.Core.Tests.Messaging.BusFactDiscoverer", "Hoard.Core.Tests")]
[AttributeUsage(AttributeTargets.Method)]
public sealed class BusFactAttribute : FactAttribute;

public sealed class BusFactDiscoverer(IMessageSink diagnostics) : IXunitTestCaseDiscoverer
{
    private readonly FactDiscoverer _facts = new(diagnostics);

    public IEnumerable<IXunitTestCase> Discover(ITestFrameworkDiscoveryOptions discoveryOptions, ITestMethod testMethod,
        IAttributeInfo factAttribute)
    {
        var type = testMethod.TestClass.Class.ToRuntimeType();
        var reason = type?.GetProperty("SkipReason", BindingFlags.Public | BindingFlags.Static | BindingFlags.FlattenHierarchy)
            ?.GetValue(null) as string;
        if (reason is null)
        {
            return _facts.Discover(discoveryOptions, testMethod, factAttribute);
        }

        return [new XunitSkippedDataRowTestCase(diagnostics, discoveryOptions.MethodDisplayOrDefault(),
            discoveryOptions.MethodDisplayOptionsOrDefault(), testMethod, reason)];
    }
}
