namespace Hoard.Persistence;

/// <summary>Schema versions, applied in order inside one transaction each. Never edit a released version: add one.</summary>
internal static class Schema
{
    public static readonly IReadOnlyList<string> Versions =
    [
        """
        CREATE TABLE projects (id TEXT PRIMARY KEY, name TEXT NOT NULL, domain_id TEXT NOT NULL, enabled INTEGER NOT NULL,
            created TEXT NOT NULL, UNIQUE (domain_id, name));
        CREATE TABLE users (id TEXT PRIMARY KEY, name TEXT NOT NULL, domain_id TEXT NOT NULL, password_hash TEXT NOT NULL,
            enabled INTEGER NOT NULL, created TEXT NOT NULL, UNIQUE (domain_id, name));
        CREATE TABLE role_assignments (user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            project_id TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE, role TEXT NOT NULL,
            PRIMARY KEY (user_id, project_id, role));
        CREATE TABLE tokens (hash TEXT PRIMARY KEY, user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            project_id TEXT NOT NULL, issued TEXT NOT NULL, expires TEXT NOT NULL);
        CREATE INDEX ix_tokens_expires ON tokens (expires);
        CREATE TABLE flavors (id TEXT PRIMARY KEY, name TEXT NOT NULL, ram_mb INTEGER NOT NULL, vcpus INTEGER NOT NULL,
            disk_gb INTEGER NOT NULL);
        CREATE TABLE datastores (id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, default_version_id TEXT);
        CREATE TABLE datastore_versions (id TEXT PRIMARY KEY, datastore_id TEXT NOT NULL REFERENCES datastores(id),
            name TEXT NOT NULL, version TEXT NOT NULL, manager TEXT NOT NULL, active INTEGER NOT NULL,
            capabilities TEXT NOT NULL, UNIQUE (datastore_id, name));
        CREATE TABLE instances (id TEXT PRIMARY KEY, project_id TEXT NOT NULL, name TEXT NOT NULL, flavor_id TEXT NOT NULL,
            datastore_version_id TEXT NOT NULL, volume_size INTEGER NOT NULL, task TEXT NOT NULL, server_status TEXT NOT NULL,
            service_status TEXT NOT NULL, service_status_updated TEXT, address TEXT, port INTEGER NOT NULL,
            bus_secret_hash TEXT, availability_zone TEXT, created TEXT NOT NULL, updated TEXT NOT NULL,
            deleted INTEGER NOT NULL DEFAULT 0, deleted_at TEXT);
        CREATE INDEX ix_instances_project ON instances (project_id, deleted, created);
        CREATE UNIQUE INDEX ix_instances_address ON instances (address) WHERE deleted = 0 AND address IS NOT NULL;
        CREATE TABLE instance_faults (id INTEGER PRIMARY KEY AUTOINCREMENT, instance_id TEXT NOT NULL, message TEXT NOT NULL,
            details TEXT, created TEXT NOT NULL);
        CREATE INDEX ix_instance_faults_instance ON instance_faults (instance_id, id);
        CREATE TABLE workflows (id TEXT PRIMARY KEY, type TEXT NOT NULL, instance_id TEXT NOT NULL, status TEXT NOT NULL,
            step INTEGER NOT NULL, step_started TEXT, data TEXT NOT NULL, error TEXT, created TEXT NOT NULL, updated TEXT NOT NULL);
        CREATE INDEX ix_workflows_status ON workflows (status);
        CREATE TABLE conductor_lastseen (instance_id TEXT NOT NULL, method TEXT NOT NULL, sent TEXT NOT NULL,
            PRIMARY KEY (instance_id, method));
        CREATE TABLE root_history (instance_id TEXT PRIMARY KEY, user_id TEXT NOT NULL, created TEXT NOT NULL);
        """,
        // 2: configuration groups. configuration_applied is the digest of the overrides the guest last confirmed
        // ("failed:<digest>" when it refused them), so a reconciler knows which instances still need them.
        """
        ALTER TABLE datastore_versions ADD COLUMN parameters TEXT NOT NULL DEFAULT '[]';
        CREATE TABLE configurations (id TEXT PRIMARY KEY, project_id TEXT NOT NULL, name TEXT NOT NULL, description TEXT,
            datastore_version_id TEXT NOT NULL REFERENCES datastore_versions(id), "values" TEXT NOT NULL,
            created TEXT NOT NULL, updated TEXT NOT NULL, deleted INTEGER NOT NULL DEFAULT 0, deleted_at TEXT);
        CREATE INDEX ix_configurations_project ON configurations (project_id, deleted, created);
        ALTER TABLE instances ADD COLUMN configuration_id TEXT REFERENCES configurations(id);
        ALTER TABLE instances ADD COLUMN configuration_applied TEXT;
        CREATE INDEX ix_instances_configuration ON instances (configuration_id) WHERE deleted = 0;
        """,
        // 3: per-project quota limits an admin set; a resource without a row has the operator's default.
        """
        CREATE TABLE quotas (project_id TEXT NOT NULL, resource TEXT NOT NULL, hard_limit INTEGER NOT NULL,
            updated TEXT NOT NULL, PRIMARY KEY (project_id, resource));
        """,
        // 4: the networks allowed to reach an instance (Trove's access.allowed_cidrs), comma-separated; NULL for everyone.
        """
        ALTER TABLE instances ADD COLUMN allowed_cidrs TEXT;
        """,
        // 5: backups. size is the stored bytes (compressed, maybe encrypted), checksum their SHA-256; tool_bytes what the
        // datastore's tool wrote; metadata what the guest returned for incrementals and restores (a JSON object).
        """
        CREATE TABLE backups (id TEXT PRIMARY KEY, project_id TEXT NOT NULL, instance_id TEXT, name TEXT NOT NULL,
            description TEXT, status TEXT NOT NULL, datastore_type TEXT NOT NULL, datastore_version TEXT NOT NULL,
            datastore_version_id TEXT NOT NULL, strategy TEXT NOT NULL, parent_id TEXT REFERENCES backups(id), size INTEGER,
            tool_bytes INTEGER, checksum TEXT, location TEXT, encrypted INTEGER NOT NULL, storage_driver TEXT NOT NULL,
            metadata TEXT NOT NULL DEFAULT '{}', fault TEXT, created TEXT NOT NULL, updated TEXT NOT NULL,
            deleted INTEGER NOT NULL DEFAULT 0, deleted_at TEXT);
        CREATE INDEX ix_backups_project ON backups (project_id, deleted, created);
        CREATE INDEX ix_backups_instance ON backups (instance_id, deleted);
        CREATE INDEX ix_backups_parent ON backups (parent_id) WHERE parent_id IS NOT NULL;
        """,
        // 6: backup schedules (one per instance) and their runs. A run's backup_id marks that backup as scheduled: only
        // those are pruned by retention. A schedule outlives its instance while retention still has backups to prune.
        """
        CREATE TABLE backup_schedules (instance_id TEXT PRIMARY KEY, project_id TEXT NOT NULL, cron TEXT, interval_minutes INTEGER,
            window_minutes INTEGER, retention_count INTEGER, retention_days INTEGER, incremental INTEGER NOT NULL,
            enabled INTEGER NOT NULL, next_run TEXT NOT NULL, created TEXT NOT NULL, updated TEXT NOT NULL);
        CREATE INDEX ix_backup_schedules_next_run ON backup_schedules (enabled, next_run);
        CREATE TABLE backup_schedule_runs (id INTEGER PRIMARY KEY AUTOINCREMENT, instance_id TEXT NOT NULL, project_id TEXT NOT NULL,
            due TEXT NOT NULL, status TEXT NOT NULL, backup_id TEXT, reason TEXT, created TEXT NOT NULL, updated TEXT NOT NULL,
            UNIQUE (instance_id, due));
        CREATE INDEX ix_backup_schedule_runs_status ON backup_schedule_runs (status);
        CREATE UNIQUE INDEX ix_backup_schedule_runs_backup ON backup_schedule_runs (backup_id) WHERE backup_id IS NOT NULL;
        """,
        // 7: point-in-time recovery. wal_archives holds the hash of each instance's WAL token (it outlives server restarts);
        // wal_segments every WAL file archived, with the time its guest saw it last written (end_time).
        """
        CREATE TABLE wal_archives (instance_id TEXT PRIMARY KEY, project_id TEXT NOT NULL, token_hash TEXT NOT NULL,
            created TEXT NOT NULL, updated TEXT NOT NULL);
        CREATE TABLE wal_segments (instance_id TEXT NOT NULL, name TEXT NOT NULL, project_id TEXT NOT NULL, kind TEXT NOT NULL,
            timeline INTEGER NOT NULL, segment INTEGER, size INTEGER NOT NULL, checksum TEXT NOT NULL, encrypted INTEGER NOT NULL,
            storage_driver TEXT NOT NULL, end_time TEXT NOT NULL, archived TEXT NOT NULL, PRIMARY KEY (instance_id, name));
        """,
        // 8: replication. replica_of is the source a replica follows (Trove's slave_of_id); replication the latest
        // ReplicationReport its guest sent (JSON), replication_updated when; last_healthy the last report of a serving
        // server (what automatic failover watches). A replication set outlives failovers: its endpoint always leads to the
        // member that is the source now. replication_events records every switchover, eject and failover with its timings.
        """
        ALTER TABLE instances ADD COLUMN replica_of TEXT;
        ALTER TABLE instances ADD COLUMN replication TEXT;
        ALTER TABLE instances ADD COLUMN replication_updated TEXT;
        ALTER TABLE instances ADD COLUMN last_healthy TEXT;
        ALTER TABLE instances ADD COLUMN replication_set TEXT;
        CREATE INDEX ix_instances_replica_of ON instances (replica_of) WHERE deleted = 0 AND replica_of IS NOT NULL;
        CREATE INDEX ix_instances_replication_set ON instances (replication_set) WHERE deleted = 0 AND replication_set IS NOT NULL;
        CREATE TABLE replication_sets (id TEXT PRIMARY KEY, project_id TEXT NOT NULL, endpoint_port INTEGER NOT NULL UNIQUE,
            synchronous INTEGER NOT NULL DEFAULT 0, created TEXT NOT NULL);
        CREATE TABLE replication_events (id INTEGER PRIMARY KEY AUTOINCREMENT, set_id TEXT NOT NULL, kind TEXT NOT NULL,
            old_source TEXT, new_source TEXT, reason TEXT, detected TEXT, started TEXT NOT NULL, fenced TEXT, promoted TEXT,
            finished TEXT, outcome TEXT, details TEXT);
        CREATE INDEX ix_replication_events_set ON replication_events (set_id, id);
        """,
        // 9: Trove's backup strategies: the storage container of a project's backups, or of one instance's (instance_id ''
        // for the project's); backups.container where each backup went (NULL: the configured container).
        """
        ALTER TABLE backups ADD COLUMN container TEXT;
        CREATE TABLE backup_strategies (project_id TEXT NOT NULL, instance_id TEXT NOT NULL, backend TEXT NOT NULL,
            swift_container TEXT NOT NULL, created TEXT NOT NULL, updated TEXT NOT NULL, PRIMARY KEY (project_id, instance_id));
        """,
        // 10: observability. events holds what no other table records (service status changes); the events API reads it
        // together with workflows, instance_faults and replication_events. audit_log: every mutating API request, never its body.
        """
        CREATE TABLE events (id INTEGER PRIMARY KEY AUTOINCREMENT, time TEXT NOT NULL, project_id TEXT NOT NULL,
            instance_id TEXT NOT NULL, type TEXT NOT NULL, message TEXT NOT NULL, user_id TEXT);
        CREATE INDEX ix_events_time ON events (time);
        CREATE INDEX ix_workflows_instance ON workflows (instance_id);
        CREATE TABLE audit_log (id INTEGER PRIMARY KEY AUTOINCREMENT, time TEXT NOT NULL, user_id TEXT, project_id TEXT,
            method TEXT NOT NULL, path TEXT NOT NULL, status INTEGER NOT NULL, request_id TEXT NOT NULL);
        CREATE INDEX ix_audit_log_time ON audit_log (time);
        """,
        // 11: Keystone's identity admin API: a project's description and a user's default project (no foreign key:
        // Keystone keeps a user whose default project was deleted). Tokens are revoked by deleting their rows.
        """
        ALTER TABLE projects ADD COLUMN description TEXT NOT NULL DEFAULT '';
        ALTER TABLE users ADD COLUMN default_project_id TEXT;
        CREATE INDEX ix_tokens_user ON tokens (user_id);
        """,
        // 12: distributed mode and automation. A workflow is claimed by one task manager (owner) for a lease it renews
        // while it runs; another takes it over once the lease has expired. hosts: the machines of the `hosts` compute
        // provider, with the capacity their host agents report; instances.host is where one was placed (NULL: local).
        // application_credentials: Keystone's secrets for automation (roles a JSON array of names, a subset of the
        // user's); a token issued from one names it, so deleting the credential revokes its tokens.
        """
        ALTER TABLE workflows ADD COLUMN owner TEXT;
        ALTER TABLE workflows ADD COLUMN lease_expires TEXT;
        ALTER TABLE instances ADD COLUMN host TEXT;
        CREATE INDEX ix_instances_host ON instances (host) WHERE deleted = 0 AND host IS NOT NULL;
        CREATE TABLE hosts (id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, address TEXT NOT NULL, ram_mb INTEGER NOT NULL,
            disk_gb INTEGER NOT NULL, free_ram_mb INTEGER NOT NULL, free_disk_gb INTEGER NOT NULL, status TEXT NOT NULL,
            last_seen TEXT, created TEXT NOT NULL, updated TEXT NOT NULL);
        CREATE TABLE application_credentials (id TEXT PRIMARY KEY, user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            project_id TEXT NOT NULL, name TEXT NOT NULL, description TEXT NOT NULL DEFAULT '', secret_hash TEXT NOT NULL,
            roles TEXT NOT NULL, unrestricted INTEGER NOT NULL DEFAULT 0, expires_at TEXT, created TEXT NOT NULL,
            UNIQUE (user_id, name));
        ALTER TABLE tokens ADD COLUMN application_credential_id TEXT;
        CREATE INDEX ix_tokens_application_credential ON tokens (application_credential_id) WHERE application_credential_id IS NOT NULL;
        """,
        // 13: Trove's locality (affinity, anti-affinity and their soft forms) as asked on create: it governs where the
        // replicas of that instance are placed relative to it and each other (NULL: nothing asked).
        """
        ALTER TABLE instances ADD COLUMN locality TEXT;
        """,
        // 14: separable roles. leases: a named lease (a singleton job such as the failover monitor, or bootstrap) held by one
        // process until it expires; the holder renews it while it runs, another process takes it once it has expired.
        """
        CREATE TABLE leases (name TEXT PRIMARY KEY, owner TEXT NOT NULL, expires TEXT NOT NULL);
        """,
    ];
}
