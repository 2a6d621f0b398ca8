using System.Text.Json;
using System.Text.Json.Nodes;

namespace Hoard.Server.Dashboard.Api;

/// <summary>An API call that failed, with the message the API gave (Trove's fault or Keystone's error), for showing as is.</summary>
internal sealed class ApiError(int status, string message) : Exception(message)
{
    public int Status { get; } = status;

    /// <summary>Reads <c>{"badRequest":{"code":400,"message":"…"}}</c> or <c>{"error":{"message":"…"}}</c>.</summary>
    public static async Task<ApiError> FromResponseAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var status = (int)response.StatusCode;
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        try
        {
            if (JsonNode.Parse(text) is JsonObject { Count: 1 } body && body.First().Value?["message"]?.GetValue<string>() is { Length: > 0 } message)
            {
                return new ApiError(status, message);
            }
        }
        catch (JsonException)
        {
            // Not a fault body: the status line below says what happened.
        }

        return new ApiError(status, $"The API answered {status} {response.ReasonPhrase}.");
    }
}
