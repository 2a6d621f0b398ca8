using System.Reflection;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace Hoard.Core.Tests.Persistence;

/// <summary>
/// A store test, run once per state DB kind, skipped for a kind whose test class says why it cannot run here: a public
/// static <c>SkipReason</c> that is not null (PostgreSQL not installed, say). A plain Fact cannot skip per subclass.
/// </summary>
[XunitTestCaseDiscoverer("Hoard.Core.Tests.Persistence.StateDbFactDiscoverer", "Hoard.Core.Tests")]
[AttributeUsage(AttributeTargets.Method)]
public sealed class StateDbFactAttribute : FactAttribute;

/// <summary><see cref="StateDbFactAttribute"/> for a theory.</summary>
[XunitTestCaseDiscoverer("Hoard.Core.Tests.Persistence.StateDbTheoryDiscoverer", "Hoard.Core.Tests")]
[AttributeUsage(AttributeTargets.Method)]
public sealed class StateDbTheoryAttribute : TheoryAttribute;

public sealed class StateDbFactDiscoverer(IMessageSink diagnostics) : IXunitTestCaseDiscoverer
{
    private readonly FactDiscoverer _facts = new(diagnostics);

    public IEnumerable<IXunitTestCase> Discover(ITestFrameworkDiscoveryOptions discoveryOptions, ITestMethod testMethod,
        IAttributeInfo factAttribute) =>
        StateDbSkip.Reason(testMethod) is { } reason
            ? [StateDbSkip.Skipped(diagnostics, discoveryOptions, testMethod, reason)]
            : _facts.Discover(discoveryOptions, testMethod, factAttribute);
}

public sealed class StateDbTheoryDiscoverer(IMessageSink diagnostics) : IXunitTestCaseDiscoverer
{
    private readonly TheoryDiscoverer _theories = new(diagnostics);

    public IEnumerable<IXunitTestCase> Discover(ITestFrameworkDiscoveryOptions discoveryOptions, ITestMethod testMethod,
        IAttributeInfo factAttribute) =>
        StateDbSkip.Reason(testMethod) is { } reason
            ? [StateDbSkip.Skipped(diagnostics, discoveryOptions, testMethod, reason)]
            : _theories.Discover(discoveryOptions, testMethod, factAttribute);
}

internal static class StateDbSkip
{
    public static string? Reason(ITestMethod testMethod) =>
        testMethod.TestClass.Class.ToRuntimeType()
            ?.GetProperty("SkipReason", BindingFlags.Public | BindingFlags.Static | BindingFlags.FlattenHierarchy)?.GetValue(null) as string;

    public static IXunitTestCase Skipped(IMessageSink diagnostics, ITestFrameworkDiscoveryOptions options, ITestMethod testMethod, string reason) =>
        new XunitSkippedDataRowTestCase(diagnostics, options.MethodDisplayOrDefault(), options.MethodDisplayOptionsOrDefault(), testMethod, reason);
}
