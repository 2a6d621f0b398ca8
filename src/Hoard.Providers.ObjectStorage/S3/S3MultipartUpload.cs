using System.Buffers;
using System.Runtime.ExceptionServices;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Microsoft.Extensions.Logging;

namespace Hoard.Providers.ObjectStorage.S3;

/// <summary>
/// One put of a non-seekable stream: parts read in full into pooled buffers (S3 needs each part's length up front), up to
/// <see cref="S3Options.UploadConcurrency"/> of them in flight (so as many buffers at most), the next one read meanwhile. A source that ends within the first
/// part becomes a single PUT. Any failure aborts the multipart upload, so S3 keeps none of its parts.
/// </summary>
internal sealed partial class S3MultipartUpload(IAmazonS3 client, S3Options options, string key, ILogger logger)
{
    private static readonly TimeSpan AbortTimeout = TimeSpan.FromMinutes(2);

    /// <summary>
    /// Part <paramref name="partNumber"/>'s size: the configured size for the first 1000 parts, doubling every 1000 after
    /// (up to 1 GiB), so 10 000 parts hold about 5 TB while a backup of up to 1000 parts never buffers more than the setting.
    /// </summary>
    internal static long PartSize(long basePartSize, int partNumber) =>
        Math.Min(S3Options.MaxPartSizeBytes, basePartSize << Math.Min(20, (partNumber - 1) / 1000));

    public async Task RunAsync(Stream content, CancellationToken cancellationToken)
    {
        var basePartSize = options.PartSizeBytes;
        if (content.CanSeek)
        {
            // Known length: parts large enough from the start.
            var needed = (content.Length - content.Position + S3Options.MaxParts - 1) / S3Options.MaxParts;
            basePartSize = Math.Max(basePartSize, (needed + (1 << 20) - 1) & ~((1L << 20) - 1));
        }

        var size = PartSize(basePartSize, 1);
        byte[]? buffer = ArrayPool<byte>.Shared.Rent((int)size);
        try
        {
            var length = await content.ReadAtLeastAsync(buffer.AsMemory(0, (int)size), (int)size, throwOnEndOfStream: false, cancellationToken);
            if (length < size)
            {
                await PutSingleAsync(buffer, length, cancellationToken);
                return;
            }

            var first = buffer;
            buffer = null;
            await MultipartAsync(content, first, basePartSize, cancellationToken);
        }
        finally
        {
            if (buffer is not null)
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    /// <summary>Removes the parts of every unfinished upload to <paramref name="key"/> (those of a crashed server, say).</summary>
    public static async Task AbortPendingAsync(IAmazonS3 client, S3Options options, string key, CancellationToken cancellationToken)
    {
        try
        {
            string? keyMarker = null;
            string? uploadIdMarker = null;
            while (true)
            {
                var page = await client.ListMultipartUploadsAsync(new ListMultipartUploadsRequest
                {
                    BucketName = options.Bucket, Prefix = key, KeyMarker = keyMarker, UploadIdMarker = uploadIdMarker,
                }, cancellationToken);
                foreach (var upload in (page.MultipartUploads ?? []).Where(u => u.Key == key))
                {
                    await client.AbortMultipartUploadAsync(new AbortMultipartUploadRequest
                    {
                        BucketName = options.Bucket, Key = key, UploadId = upload.UploadId,
                    }, cancellationToken);
                }

                if (page.IsTruncated != true)
                {
                    return;
                }

                (keyMarker, uploadIdMarker) = (page.NextKeyMarker, page.NextUploadIdMarker);
            }
        }
        catch (AmazonServiceException e)
        {
            throw S3BackupStorage.Failure(options, "abort of pending uploads", key, e);
        }
    }

    private async Task PutSingleAsync(byte[] buffer, int length, CancellationToken cancellationToken)
    {
        try
        {
            await client.PutObjectAsync(new PutObjectRequest
            {
                BucketName = options.Bucket, Key = key, InputStream = new MemoryStream(buffer, 0, length, writable: false),
                ContentType = "application/octet-stream", UseChunkEncoding = false, AutoCloseStream = true,
            }, cancellationToken);
        }
        catch (AmazonServiceException e)
        {
            throw S3BackupStorage.Failure(options, "put", key, e);
        }
    }

    private async Task MultipartAsync(Stream content, byte[] first, long basePartSize, CancellationToken cancellationToken)
    {
        string uploadId;
        try
        {
            uploadId = (await client.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest
            {
                BucketName = options.Bucket, Key = key, ContentType = "application/octet-stream",
            }, cancellationToken)).UploadId;
        }
        catch (AmazonServiceException e)
        {
            ArrayPool<byte>.Shared.Return(first);
            throw S3BackupStorage.Failure(options, "multipart upload start", key, e);
        }

        using var failed = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var inFlight = new List<Task<PartETag>>();
        var parts = new List<PartETag>();
        byte[]? buffer = first;
        try
        {
            var number = 1;
            var size = PartSize(basePartSize, number);
            var length = (int)size;
            while (true)
            {
                inFlight.Add(UploadPartAsync(uploadId, number, buffer, length, failed));
                buffer = null;
                if (inFlight.Count >= options.UploadConcurrency)
                {
                    var done = await Task.WhenAny(inFlight);
                    inFlight.Remove(done);
                    parts.Add(await done);
                }

                if (length < size)
                {
                    break;
                }

                if (++number > S3Options.MaxParts)
                {
                    throw new InvalidOperationException($"S3 put of {options.Bucket}/{key}: the backup needs more than {S3Options.MaxParts} parts.");
                }

                size = PartSize(basePartSize, number);
                buffer = ArrayPool<byte>.Shared.Rent((int)size);
                length = await content.ReadAtLeastAsync(buffer.AsMemory(0, (int)size), (int)size, throwOnEndOfStream: false, failed.Token);
                if (length == 0)
                {
                    break;
                }
            }

            foreach (var part in inFlight)
            {
                parts.Add(await part);
            }

            inFlight.Clear();
            await client.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest
            {
                BucketName = options.Bucket, Key = key, UploadId = uploadId, PartETags = [.. parts.OrderBy(p => p.PartNumber)],
            }, cancellationToken);
        }
        catch (Exception e)
        {
            await failed.CancelAsync();
            Exception? partFailure = null;
            foreach (var part in inFlight)
            {
                try
                {
                    await part;
                }
                catch (Exception other) when (other is not OperationCanceledException)
                {
                    partFailure ??= other;
                }
                catch (OperationCanceledException)
                {
                }
            }

            await AbortAsync(uploadId);
            // A part that failed cancels the reading of the source: report the part's failure, not the cancellation.
            var cause = e is OperationCanceledException && !cancellationToken.IsCancellationRequested && partFailure is not null ? partFailure : e;
            if (cause is AmazonServiceException service)
            {
                throw S3BackupStorage.Failure(options, "multipart upload", key, service);
            }

            ExceptionDispatchInfo.Throw(cause);
        }
        finally
        {
            if (buffer is not null)
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    private async Task<PartETag> UploadPartAsync(string uploadId, int number, byte[] buffer, int length, CancellationTokenSource failed)
    {
        try
        {
            var response = await client.UploadPartAsync(new UploadPartRequest
            {
                BucketName = options.Bucket, Key = key, UploadId = uploadId, PartNumber = number, PartSize = length,
                InputStream = new MemoryStream(buffer, 0, length, writable: false), UseChunkEncoding = false,
            }, failed.Token);
            return new PartETag(number, response.ETag);
        }
        catch
        {
            // Stop reading the source and the other parts at once, not when this task is next looked at.
            await failed.CancelAsync();
            throw;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private async Task AbortAsync(string uploadId)
    {
        // Whatever ended the upload (the caller's cancellation included), its parts must go.
        using var timeout = new CancellationTokenSource(AbortTimeout);
        try
        {
            await client.AbortMultipartUploadAsync(new AbortMultipartUploadRequest { BucketName = options.Bucket, Key = key, UploadId = uploadId }, timeout.Token);
        }
        catch (Exception e)
        {
            LogAbortFailed(key, e.Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "S3: the failed multipart upload of {Key} could not be aborted ({Error}); the next delete of the key aborts it")]
    private partial void LogAbortFailed(string key, string error);
}
