namespace Hoard.Contracts.Bus;

/// <summary>The handler of a call failed. <see cref="Code"/> is one of <see cref="Guest.GuestErrorCodes"/> or a transport code.</summary>
public sealed class RemoteCallException(string code, string message) : Exception(message)
{
    public string Code { get; } = code;
}

public sealed class BusTimeoutException(string topic, string method, TimeSpan timeout)
    : TimeoutException($"No reply to '{method}' on '{topic}' within {timeout.TotalSeconds:0.#} s.")
{
    public string Topic { get; } = topic;
}

/// <summary>Thrown by a handler to send a coded error back to the caller.</summary>
public sealed class HandlerException(string code, string message) : Exception(message)
{
    public string Code { get; } = code;
}
