using System.Text.Json;
using Dapper;
using Hoard.Core.Catalog;

namespace Hoard.Persistence;

/// <summary>Flavors and datastore versions: seeded from configuration, read by the API.</summary>
public sealed class CatalogStore(StateDb db)
{
    // Versions change only when definitions are loaded; every API call reads them, capabilities and all.
    private volatile IReadOnlyList<DatastoreVersion>? _versions;

    public async Task UpsertFlavorAsync(Flavor flavor, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(
            "INSERT INTO flavors (id, name, ram_mb, vcpus, disk_gb) VALUES (@Id, @Name, @RamMb, @Vcpus, @DiskGb) " +
            "ON CONFLICT (id) DO UPDATE SET name = excluded.name, ram_mb = excluded.ram_mb, vcpus = excluded.vcpus, disk_gb = excluded.disk_gb",
            flavor);
    }

    public async Task<IReadOnlyList<Flavor>> ListFlavorsAsync(CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<(string Id, string Name, long RamMb, long Vcpus, long DiskGb)>(
            "SELECT id, name, ram_mb, vcpus, disk_gb FROM flavors ORDER BY ram_mb, id");
        return [.. rows.Select(r => new Flavor(r.Id, r.Name, (int)r.RamMb, (int)r.Vcpus, (int)r.DiskGb))];
    }

    public async Task<Flavor?> GetFlavorAsync(string id, CancellationToken cancellationToken) =>
        (await ListFlavorsAsync(cancellationToken)).FirstOrDefault(f => f.Id == id);

    public async Task UpsertDatastoreAsync(DatastoreDefinition definition, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        var defaultVersion = definition.Versions.FirstOrDefault(v => v.Default) ?? definition.Versions.FirstOrDefault();
        await connection.ExecuteAsync(
            "INSERT INTO datastores (id, name, default_version_id) VALUES (@Id, @Name, @DefaultVersionId) " +
            "ON CONFLICT (id) DO UPDATE SET name = excluded.name, default_version_id = excluded.default_version_id",
            new { definition.Id, definition.Name, DefaultVersionId = defaultVersion?.Id }, tx);
        foreach (var v in definition.Versions)
        {
            await connection.ExecuteAsync(
                "INSERT INTO datastore_versions (id, datastore_id, name, version, manager, active, capabilities, parameters) " +
                "VALUES (@Id, @DatastoreId, @Name, @Version, @Manager, @Active, @Capabilities, @Parameters) ON CONFLICT (id) DO UPDATE SET " +
                "name = excluded.name, version = excluded.version, manager = excluded.manager, active = excluded.active, " +
                "capabilities = excluded.capabilities, parameters = excluded.parameters",
                new
                {
                    v.Id, DatastoreId = definition.Id, v.Name, v.Version, v.Manager, Active = v.Active ? 1 : 0,
                    Capabilities = JsonSerializer.Serialize(v.Capabilities, CatalogJson.Default.DatastoreCapabilities),
                    Parameters = JsonSerializer.Serialize(v.Parameters ?? [], CatalogJson.Default.IReadOnlyListConfigurationParameter),
                }, tx);
        }

        await tx.CommitAsync(cancellationToken);
        _versions = null;
    }

    public async Task<IReadOnlyList<Datastore>> ListDatastoresAsync(CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<(string Id, string Name, string? DefaultVersionId)>(
            "SELECT id, name, default_version_id FROM datastores ORDER BY name");
        return [.. rows.Select(r => new Datastore(r.Id, r.Name, r.DefaultVersionId))];
    }

    public async Task<IReadOnlyList<DatastoreVersion>> ListVersionsAsync(CancellationToken cancellationToken) =>
        _versions ??= await LoadVersionsAsync(cancellationToken);

    private async Task<IReadOnlyList<DatastoreVersion>> LoadVersionsAsync(CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<(string Id, string DatastoreId, string DatastoreName, string Name, string Version,
            string Manager, long Active, string Capabilities, string Parameters)>(
            "SELECT v.id, v.datastore_id, d.name, v.name, v.version, v.manager, v.active, v.capabilities, v.parameters " +
            "FROM datastore_versions v JOIN datastores d ON d.id = v.datastore_id ORDER BY d.name, v.name");
        return [.. rows.Select(r => new DatastoreVersion(r.Id, r.DatastoreId, r.DatastoreName, r.Name, r.Version, r.Manager,
            r.Active != 0, JsonSerializer.Deserialize(r.Capabilities, CatalogJson.Default.DatastoreCapabilities)!,
            JsonSerializer.Deserialize(r.Parameters, CatalogJson.Default.IReadOnlyListConfigurationParameter) ?? []))];
    }

    public async Task<DatastoreVersion?> GetVersionAsync(string id, CancellationToken cancellationToken) =>
        (await ListVersionsAsync(cancellationToken)).FirstOrDefault(v => v.Id == id);
}
