using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Hoard.Core.Backups;

/// <summary>
/// AES-256-GCM over a stream of any length, in chunks, so that neither side holds a whole backup in memory.
/// <para>
/// Format: the magic <c>HOARDAE1</c>, a random 4-byte nonce prefix, then chunks of
/// <c>[plaintext length: u32 big-endian][ciphertext][16-byte tag]</c>. Chunk <c>i</c>'s nonce is the prefix followed by
/// <c>i</c> (u64 big-endian); its associated data is the magic, <c>i</c> and a final flag, so a reordered, dropped,
/// truncated or appended chunk fails authentication. The last chunk has the final flag (and may be empty).
/// </para>
/// </summary>
public static class BackupCipher
{
    public const int KeySize = 32;
    public const int ChunkSize = 1 << 20;
    private const int TagSize = 16;
    private const int PrefixSize = 4;
    private static readonly byte[] Magic = "HOARDAE1"u8.ToArray();

    /// <summary>Encrypts <paramref name="input"/> to its end into <paramref name="output"/>.</summary>
    public static async Task EncryptAsync(Stream input, Stream output, byte[] key, CancellationToken cancellationToken)
    {
        CheckKey(key);
        using var aes = new AesGcm(key, TagSize);
        var prefix = RandomNumberGenerator.GetBytes(PrefixSize);
        await output.WriteAsync(Magic, cancellationToken);
        await output.WriteAsync(prefix, cancellationToken);

        var current = new byte[ChunkSize];
        var next = new byte[ChunkSize];
        var cipher = new byte[ChunkSize];
        var header = new byte[4];
        var tag = new byte[TagSize];
        var currentLength = await FillAsync(input, current, cancellationToken);
        for (ulong index = 0; ; index++)
        {
            // Reading one chunk ahead tells whether this one is the last.
            var nextLength = currentLength == ChunkSize ? await FillAsync(input, next, cancellationToken) : 0;
            var final = currentLength < ChunkSize || nextLength == 0;
            aes.Encrypt(Nonce(prefix, index), current.AsSpan(0, currentLength), cipher.AsSpan(0, currentLength), tag, Aad(index, final));
            BinaryPrimitives.WriteUInt32BigEndian(header, (uint)currentLength);
            await output.WriteAsync(header, cancellationToken);
            await output.WriteAsync(cipher.AsMemory(0, currentLength), cancellationToken);
            await output.WriteAsync(tag, cancellationToken);
            if (final)
            {
                return;
            }

            (current, next) = (next, current);
            currentLength = nextLength;
        }
    }

    /// <summary>
    /// Decrypts what <see cref="EncryptAsync"/> wrote. Throws <see cref="InvalidDataException"/> on anything that does not
    /// authenticate (wrong key, altered, truncated or extended data); output written before that must be discarded.
    /// </summary>
    public static async Task DecryptAsync(Stream input, Stream output, byte[] key, CancellationToken cancellationToken)
    {
        CheckKey(key);
        using var aes = new AesGcm(key, TagSize);
        var head = new byte[Magic.Length + PrefixSize];
        if (await FillAsync(input, head, cancellationToken) != head.Length || !head.AsSpan(0, Magic.Length).SequenceEqual(Magic))
        {
            throw new InvalidDataException("The backup is not encrypted by Hoard (no HOARDAE1 header).");
        }

        var prefix = head[Magic.Length..];
        var header = new byte[4];
        var cipher = new byte[ChunkSize];
        var plain = new byte[ChunkSize];
        var tag = new byte[TagSize];
        for (ulong index = 0; ; index++)
        {
            if (await FillAsync(input, header, cancellationToken) != header.Length)
            {
                throw new InvalidDataException("The encrypted backup is truncated: its final chunk is missing.");
            }

            var length = BinaryPrimitives.ReadUInt32BigEndian(header);
            if (length > ChunkSize)
            {
                throw new InvalidDataException($"The encrypted backup is corrupt: chunk {index} claims {length} bytes.");
            }

            var n = (int)length;
            if (await FillAsync(input, cipher.AsMemory(0, n), cancellationToken) != n || await FillAsync(input, tag, cancellationToken) != TagSize)
            {
                throw new InvalidDataException($"The encrypted backup is truncated in chunk {index}.");
            }

            // A short chunk can only be the last one; a full one may be either (the writer could not know).
            var final = n < ChunkSize || !TryDecrypt(aes, prefix, index, cipher, plain, n, tag, final: false);
            if (final && !TryDecrypt(aes, prefix, index, cipher, plain, n, tag, final: true))
            {
                throw new InvalidDataException($"The encrypted backup does not authenticate at chunk {index}: wrong key, or the data was altered.");
            }

            await output.WriteAsync(plain.AsMemory(0, n), cancellationToken);
            if (final)
            {
                if (await input.ReadAsync(header.AsMemory(0, 1), cancellationToken) != 0)
                {
                    throw new InvalidDataException("The encrypted backup has data after its final chunk.");
                }

                return;
            }
        }
    }

    private static bool TryDecrypt(AesGcm aes, byte[] prefix, ulong index, byte[] cipher, byte[] plain, int length, byte[] tag, bool final)
    {
        try
        {
            aes.Decrypt(Nonce(prefix, index), cipher.AsSpan(0, length), tag, plain.AsSpan(0, length), Aad(index, final));
            return true;
        }
        catch (AuthenticationTagMismatchException)
        {
            return false;
        }
    }

    private static byte[] Nonce(byte[] prefix, ulong index)
    {
        var nonce = new byte[12];
        prefix.CopyTo(nonce, 0);
        BinaryPrimitives.WriteUInt64BigEndian(nonce.AsSpan(PrefixSize), index);
        return nonce;
    }

    private static byte[] Aad(ulong index, bool final)
    {
        var aad = new byte[Magic.Length + 9];
        Magic.CopyTo(aad, 0);
        BinaryPrimitives.WriteUInt64BigEndian(aad.AsSpan(Magic.Length), index);
        aad[^1] = final ? (byte)1 : (byte)0;
        return aad;
    }

    private static void CheckKey(byte[] key)
    {
        if (key.Length != KeySize)
        {
            throw new ArgumentException($"A backup key has {KeySize} bytes, not {key.Length}.", nameof(key));
        }
    }

    private static Task<int> FillAsync(Stream input, byte[] buffer, CancellationToken cancellationToken) =>
        FillAsync(input, buffer.AsMemory(), cancellationToken);

    private static async Task<int> FillAsync(Stream input, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        var total = 0;
        while (total < buffer.Length)
        {
            var read = await input.ReadAsync(buffer[total..], cancellationToken);
            if (read == 0)
            {
                break;
            }

            total += read;
        }

        return total;
    }
}
