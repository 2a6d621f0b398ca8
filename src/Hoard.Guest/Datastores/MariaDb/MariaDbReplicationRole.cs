namespace Hoard.Guest.Datastores.MariaDb;

/// <summary>What <c>my.cnf</c> must hold for the instance's part in a replication set.</summary>
internal enum MariaDbReplicationRole
{
    /// <summary>A standalone instance: the binary log only if it is archived.</summary>
    None,

    /// <summary>A writable source: binary log, <c>log_slave_updates</c>, <c>gtid_strict_mode</c>; its commits wait for no replica.</summary>
    Source,

    /// <summary>A writable source of a synchronous set: as a source, and each commit waits until a replica acknowledged it, however long.</summary>
    SynchronousSource,

    /// <summary>A replica or a demoted source: as a source, and <c>read_only</c> from the start.</summary>
    ReadOnly,

    /// <summary>A replica that acknowledges each transaction it receives (semi-synchronous), read-only.</summary>
    SemiSyncReplica,
}
