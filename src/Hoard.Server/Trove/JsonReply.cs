using System.Text.Json;

namespace Hoard.Server.Trove;

/// <summary>
/// A JSON answer written as UTF-8 into a pooled buffer, then sent with its length and <c>application/json;
/// charset=utf-8</c>: the same bytes and headers as the text result it replaces, without building the body as a .NET
/// string first and encoding it again (a list page of 20 instances is about 15 KB).
/// </summary>
internal sealed class JsonReply(Action<Utf8JsonWriter> write, int status) : IResult
{
    public const string ContentType = "application/json; charset=utf-8";

    /// <summary>What <see cref="Reply.Output"/> makes of a JSON node; the list views write with the same.</summary>
    public static readonly JsonWriterOptions WriterOptions = new() { Encoder = Reply.Output.Encoder, Indented = Reply.Output.WriteIndented };

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        using var buffer = new PooledBufferWriter();
        await using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            write(writer);
        }

        var response = httpContext.Response;
        response.StatusCode = status;
        response.ContentType = ContentType;
        response.ContentLength = buffer.WrittenMemory.Length;
        // No cancellation token, as the text result wrote: a client gone meanwhile is Kestrel's to notice, not an error here.
        await response.Body.WriteAsync(buffer.WrittenMemory);
    }
}
