namespace Hoard.Bench.Provisioning;

/// <param name="Posted">When the POST was sent (UTC), to place guest.log lines on the same timeline.</param>
/// <param name="ToActive">POST /instances → GET shows ACTIVE.</param>
/// <param name="ToQuery">POST /instances → first answered <c>select 1</c> as the new user over TCP.</param>
/// <param name="QueryAttempts">Connection attempts after ACTIVE; more than 1 means ACTIVE came before the user could log in.</param>
internal sealed record HoardRun(string InstanceId, DateTimeOffset Posted, string Address, TimeSpan ToActive, TimeSpan ToQuery, int QueryAttempts);
