using Hoard.Guest.Datastores.MariaDb;
using Microsoft.Extensions.Logging;

namespace Hoard.Guest.Datastores;

/// <summary>Managers by name: the datastore version's <c>manager</c> field picks one.</summary>
internal static class DatastoreManagers
{
    public static IDatastoreManager Create(GuestConfig config, ILogger logger) => config.Manager switch
    {
        "mariadb" => new MariaDbManager(config, logger),
        "redis" => new Redis.RedisManager(config, logger),
        "postgresql" => new PostgreSql.PostgreSqlManager(config, logger),
        _ => throw new NotSupportedException($"This guest has no manager named '{config.Manager}'."),
    };
}
