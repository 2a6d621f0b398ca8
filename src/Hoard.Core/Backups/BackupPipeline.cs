using System.Collections.Concurrent;
using System.IO.Pipelines;

namespace Hoard.Core.Backups;

/// <summary>
/// The server's half of a backup's data path. Storing: the guest's zstd stream → AES-256-GCM with the project's key
/// (when encrypting) → SHA-256 and byte count → storage. Restoring: storage → SHA-256 → decryption → the zstd stream; the
/// checksum is also verifiable in a separate full pass before anything is sent.
/// </summary>
public sealed class BackupPipeline(IBackupStorage storage, BackupKeyring keyring)
{
    private const int CopyBufferSize = 1 << 20;

    /// <summary>Passes an operation has not used yet; far more than restores run at once, so clearing it only forgets.</summary>
    private const int MaxRemembered = 1024;

    private readonly ConcurrentDictionary<(string Operation, string BackupId), string> _verified = new();

    private readonly ConcurrentDictionary<string, IBackupStorage> _containers = new();

    public string StorageDriver => storage.Name;

    /// <inheritdoc cref="IBackupStorage.DefaultContainer"/>
    public string? DefaultContainer => storage.DefaultContainer;

    /// <summary>Reads <paramref name="content"/> to its end and stores it under the backup's key, in its container.</summary>
    public Task<StoredBackup> StoreAsync(BackupRecord backup, Stream content, bool encrypt, CancellationToken cancellationToken) =>
        StoreAsync(backup.ProjectId, backup.StorageKey, content, encrypt, cancellationToken, backup.Container);

    /// <summary>Reads <paramref name="content"/> to its end and stores it under <paramref name="storageKey"/> (e.g. an archived WAL file).</summary>
    public async Task<StoredBackup> StoreAsync(string projectId, string storageKey, Stream content, bool encrypt, CancellationToken cancellationToken,
        string? container = null)
    {
        // Reading (and encrypting) on one side of a pipe, hashing and writing on the other, so that the two overlap.
        var key = encrypt ? keyring.ProjectKey(projectId) : null;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: 4 * CopyBufferSize, resumeWriterThreshold: 2 * CopyBufferSize));
        var producing = Task.Run(async () =>
        {
            try
            {
                var sink = pipe.Writer.AsStream(leaveOpen: true);
                if (key is null)
                {
                    await content.CopyToAsync(sink, CopyBufferSize, stop.Token);
                }
                else
                {
                    await BackupCipher.EncryptAsync(content, sink, key, stop.Token);
                }

                await pipe.Writer.CompleteAsync();
            }
            catch (Exception e)
            {
                await pipe.Writer.CompleteAsync(e);
            }
        }, CancellationToken.None);

        try
        {
            using var hashed = new HashingStream(pipe.Reader.AsStream(leaveOpen: true));
            var location = await In(container).PutAsync(storageKey, hashed, stop.Token);
            return new StoredBackup(location, hashed.BytesRead, hashed.Checksum(), Encrypted: key is not null);
        }
        finally
        {
            // Storage gave up early: the producer must stop reading the guest's stream too.
            await stop.CancelAsync();
            await producing;
            await pipe.Reader.CompleteAsync();
        }
    }

    /// <summary>Reads the stored bytes in full and compares their SHA-256 with the one recorded.</summary>
    /// <exception cref="BackupIntegrityException">The data is missing or does not match.</exception>
    public Task VerifyAsync(BackupRecord backup, CancellationToken cancellationToken) => VerifyAsync(Describe(backup), cancellationToken);

    /// <summary>
    /// As <see cref="VerifyAsync(BackupRecord, CancellationToken)"/>, and remembers the pass for <paramref name="operation"/>
    /// (a workflow id, the owner of its transfer tokens): its download of this very stored object may then skip a second
    /// full pass (<see cref="TakeVerified"/>).
    /// </summary>
    public async Task VerifyAsync(BackupRecord backup, string operation, CancellationToken cancellationToken)
    {
        await VerifyAsync(Describe(backup), cancellationToken);
        if (_verified.Count >= MaxRemembered)
        {
            _verified.Clear();
        }

        _verified[(operation, backup.Id)] = Fingerprint(backup);
    }

    /// <summary>
    /// True, once, when the operation that issued <paramref name="grant"/>'s token verified <paramref name="backup"/> with
    /// <see cref="VerifyAsync(BackupRecord, string, CancellationToken)"/> and its record (key, size, checksum) is unchanged
    /// since. The data is still hashed while it is sent (<see cref="SendAsync(BackupRecord, Stream, CancellationToken)"/>).
    /// </summary>
    public bool TakeVerified(TransferGrant grant, BackupRecord backup) =>
        _verified.TryRemove(KeyValuePair.Create((grant.Owner, backup.Id), Fingerprint(backup)));

    /// <inheritdoc cref="VerifyAsync(BackupRecord, CancellationToken)"/>
    public async Task VerifyAsync(StoredObject backup, CancellationToken cancellationToken)
    {
        var stored = await OpenAsync(backup, cancellationToken);
        await using (stored)
        {
            using var hashed = new HashingStream(stored);
            await hashed.CopyToAsync(Stream.Null, CopyBufferSize, cancellationToken);
            Check(backup, hashed);
        }
    }

    /// <summary>
    /// Writes the backup's zstd stream (decrypted when it was encrypted) to <paramref name="output"/>, checking the
    /// checksum on the way. On <see cref="BackupIntegrityException"/> or <see cref="InvalidDataException"/> what was written
    /// must be discarded: the receiver has to see a broken transfer.
    /// </summary>
    public Task SendAsync(BackupRecord backup, Stream output, CancellationToken cancellationToken) =>
        SendAsync(Describe(backup), output, cancellationToken);

    /// <inheritdoc cref="SendAsync(BackupRecord, Stream, CancellationToken)"/>
    public async Task SendAsync(StoredObject backup, Stream output, CancellationToken cancellationToken)
    {
        var stored = await OpenAsync(backup, cancellationToken);
        await using (stored)
        {
            using var hashed = new HashingStream(stored);
            if (backup.Encrypted)
            {
                await BackupCipher.DecryptAsync(hashed, output, keyring.ProjectKey(backup.ProjectId), cancellationToken);
            }
            else
            {
                await hashed.CopyToAsync(output, CopyBufferSize, cancellationToken);
            }

            Check(backup, hashed);
        }
    }

    public Task DeleteAsync(BackupRecord backup, CancellationToken cancellationToken) =>
        In(backup.Container).DeleteAsync(backup.StorageKey, cancellationToken);

    public Task DeleteAsync(string storageKey, CancellationToken cancellationToken) => storage.DeleteAsync(storageKey, cancellationToken);

    private static string Fingerprint(BackupRecord backup) =>
        $"{backup.Container}\n{backup.StorageKey}\n{backup.Size}\n{backup.Checksum}\n{backup.Encrypted}";

    private static StoredObject Describe(BackupRecord backup) =>
        new($"backup {backup.Id}", backup.ProjectId, backup.StorageKey, backup.Size, backup.Checksum, backup.Encrypted, backup.Container);

    private IBackupStorage In(string? container) =>
        container is null ? storage : _containers.GetOrAdd(container, storage.InContainer);

    private async Task<Stream> OpenAsync(StoredObject backup, CancellationToken cancellationToken)
    {
        if (backup.Checksum is null)
        {
            throw new BackupIntegrityException($"{char.ToUpperInvariant(backup.Description[0])}{backup.Description[1..]} has no recorded checksum: its data never arrived completely.");
        }

        try
        {
            return await In(backup.Container).OpenReadAsync(backup.StorageKey, cancellationToken);
        }
        catch (FileNotFoundException)
        {
            var where = backup.Container is null ? "" : $" (container {backup.Container})";
            throw new BackupIntegrityException($"The data of {backup.Description} is missing from {storage.Name} storage{where}.");
        }
    }

    private static void Check(StoredObject backup, HashingStream hashed)
    {
        if (hashed.BytesRead != backup.Size || hashed.Checksum() != backup.Checksum)
        {
            throw new BackupIntegrityException(
                $"The stored data of {backup.Description} does not match its checksum: {hashed.BytesRead} bytes with SHA-256 " +
                $"{hashed.Checksum()[..16]}…, recorded {backup.Size} bytes with {backup.Checksum![..16]}…. It was altered or damaged in storage.");
        }
    }
}
