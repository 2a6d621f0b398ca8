namespace Hoard.Server.Trove;

/// <summary>An error answered in Trove's fault format: <c>{"badRequest":{"code":400,"message":"…"}}</c>.</summary>
internal sealed class TroveFault(int code, string name, string message) : Exception(message)
{
    public int Code { get; } = code;
    public string Name { get; } = name;

    public static TroveFault BadRequest(string message) => new(400, "badRequest", message);
    public static TroveFault Validation(string message) => new(400, "badRequest", "Validation error: " + message);
    public static TroveFault Forbidden(string message) => new(403, "forbidden", message);
    public static TroveFault NotFound(string message) => new(404, "itemNotFound", message);
    public static TroveFault Conflict(string message) => new(409, "conflict", message);
    public static TroveFault OverLimit(string message) => new(413, "overLimit", message);
    public static TroveFault Unprocessable(string message) => new(422, "unprocessableEntity", message);
    public static TroveFault NotImplemented(string message) => new(501, "notImplemented", message);
    public static TroveFault Unavailable(string message) => new(503, "serviceUnavailable", message);
    public static TroveFault Unauthorized(string message) => new(401, "unauthorized", message);
}
