namespace Hoard.Bench.Scale;

/// <summary>One list scenario measured against Hoard and against the bare endpoint, in turn, once per repeat.</summary>
/// <param name="Unit">What one operation is: a page, or a walk of all pages.</param>
internal sealed record ListComparison(string Title, string Unit)
{
    public List<LoadFigures> Hoard { get; } = [];

    public List<LoadFigures> Bare { get; } = [];
}
