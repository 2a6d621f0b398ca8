namespace Hoard.Core.Compute;

/// <summary>No host can take an instance; the message says why, in words for the instance's fault.</summary>
public sealed class PlacementException(string message) : Exception(message);
