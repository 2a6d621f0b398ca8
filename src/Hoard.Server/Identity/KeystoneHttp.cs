namespace Hoard.Server.Identity;

/// <summary>Requests to the external Keystone with its deadline; an unreachable Keystone is an <see cref="IdentityUnavailableException"/>.</summary>
internal static class KeystoneHttp
{
    public static async Task<HttpResponseMessage> SendAsync(HttpClient http, HttpRequestMessage request, KeystoneSettings settings,
        CancellationToken cancellationToken)
    {
        request.Headers.Add("Accept", "application/json");
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(TimeSpan.FromSeconds(settings.TimeoutSeconds));
        try
        {
            return await http.SendAsync(request, deadline.Token);
        }
        catch (HttpRequestException e)
        {
            throw new IdentityUnavailableException($"Keystone at {settings.BaseUrl} could not be reached: {e.Message}");
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new IdentityUnavailableException($"Keystone at {settings.BaseUrl} did not answer within {settings.TimeoutSeconds} s.");
        }
    }
}
