namespace Hoard.Bench.Scale;

/// <summary>
/// One timed unit of the list load: a single page, or a whole walk (the first page, then each next link). The URLs are
/// fixed when Hoard's answers are captured, so Hoard and the bare endpoint are sent exactly the same requests.
/// </summary>
internal sealed record ListOperation(string Token, IReadOnlyList<string> PathsAndQueries);
