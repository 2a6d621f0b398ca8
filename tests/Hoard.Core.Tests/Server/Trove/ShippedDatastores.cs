using System.Text.Json;
using Hoard.Core.Catalog;

namespace Hoard.Core.Tests.Server.Trove;

/// <summary>The datastore definitions hoard-server ships (copied next to the test assembly from src/Hoard.Server/datastores).</summary>
internal static class ShippedDatastores
{
    public static DatastoreCapabilities MariaDb { get; } = Load("mariadb.json").Versions.Single(v => v.Name == "10.11").Capabilities;

    private static DatastoreDefinition Load(string file) =>
        JsonSerializer.Deserialize(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "datastores", file)), CatalogJson.Default.DatastoreDefinition)
        ?? throw new InvalidDataException($"{file} is empty.");
}
