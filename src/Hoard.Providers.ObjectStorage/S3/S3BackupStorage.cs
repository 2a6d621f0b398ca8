using System.Net;
using Amazon;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Hoard.Core.Backups;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Hoard.Providers.ObjectStorage.S3;

/// <summary>
/// Backups in an S3 bucket (AWS, or an S3-compatible store such as Swift's s3api, MinIO or Ceph RGW). A backup smaller
/// than one part is a single PUT; a larger one a multipart upload, aborted on any failure, so an object appears only
/// when complete.
/// </summary>
public sealed partial class S3BackupStorage : IBackupStorage, IDisposable
{
    public const string DriverName = "s3";
    private readonly S3Options _options;
    private readonly AmazonS3Client _client;
    private readonly ILogger _logger;
    private volatile bool _bucketExists;

    public S3BackupStorage(S3Options options, ILogger<S3BackupStorage>? logger = null)
    {
        var errors = options.Validate();
        if (errors.Count > 0)
        {
            throw new ArgumentException("Invalid S3 settings: " + string.Join(" ", errors), nameof(options));
        }

        _options = options;
        _logger = logger ?? (ILogger)NullLogger.Instance;
        var config = new AmazonS3Config
        {
            ForcePathStyle = options.ForcePathStyle,
            // The SDK's default CRC32 trailers (aws-chunked bodies) are refused by Swift's s3api (2.30) and older stores;
            // SigV4 signs each body's SHA-256 instead.
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
            Timeout = TimeSpan.FromSeconds(options.RequestTimeoutSeconds),
        };
        if (string.IsNullOrEmpty(options.Endpoint))
        {
            config.RegionEndpoint = RegionEndpoint.GetBySystemName(options.Region);
        }
        else
        {
            config.ServiceURL = options.Endpoint;
            config.AuthenticationRegion = options.Region;
        }

        _client = new AmazonS3Client(new BasicAWSCredentials(options.AccessKey, options.SecretKey), config);
    }

    public string Name => DriverName;

    /// <summary>The SDK client, for callers (tests) that look at the bucket directly.</summary>
    internal IAmazonS3 Client => _client;

    public async Task<string> PutAsync(string key, Stream content, CancellationToken cancellationToken)
    {
        BackupKeys.Check(key);
        await EnsureBucketAsync(cancellationToken);
        var upload = new S3MultipartUpload(_client, _options, key, _logger);
        await upload.RunAsync(content, cancellationToken);
        return LocationOf(key);
    }

    public async Task<Stream> OpenReadAsync(string key, CancellationToken cancellationToken)
    {
        BackupKeys.Check(key);
        try
        {
            var response = await _client.GetObjectAsync(new GetObjectRequest { BucketName = _options.Bucket, Key = key }, cancellationToken);
            return new OwnedResponseStream(response.ResponseStream, response);
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            throw new FileNotFoundException($"No backup is stored under '{key}' in S3 bucket '{_options.Bucket}'.", e);
        }
        catch (AmazonServiceException e)
        {
            throw Failure(_options, "get", key, e);
        }
    }

    public async Task DeleteAsync(string key, CancellationToken cancellationToken)
    {
        BackupKeys.Check(key);
        try
        {
            await _client.DeleteObjectAsync(new DeleteObjectRequest { BucketName = _options.Bucket, Key = key }, cancellationToken);
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            // No bucket: nothing to delete.
            return;
        }
        catch (AmazonServiceException e)
        {
            throw Failure(_options, "delete", key, e);
        }

        await S3MultipartUpload.AbortPendingAsync(_client, _options, key, cancellationToken);
    }

    public async Task<long?> GetSizeAsync(string key, CancellationToken cancellationToken)
    {
        BackupKeys.Check(key);
        try
        {
            var metadata = await _client.GetObjectMetadataAsync(new GetObjectMetadataRequest { BucketName = _options.Bucket, Key = key }, cancellationToken);
            return metadata.ContentLength;
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
        catch (AmazonServiceException e)
        {
            throw Failure(_options, "head", key, e);
        }
    }

    public void Dispose() => _client.Dispose();

    /// <summary>A failure the caller can act on: operation, bucket, key, status and S3's error code; never credentials.</summary>
    internal static InvalidOperationException Failure(S3Options options, string operation, string? key, AmazonServiceException e)
    {
        var hint = e.StatusCode == HttpStatusCode.Forbidden ? " (check AccessKey and SecretKey and the bucket's permissions)" : "";
        var code = string.IsNullOrEmpty(e.ErrorCode) ? "" : $" {e.ErrorCode}";
        // Answers without a body (HEAD) get the SDK's placeholder text, which says nothing the status does not.
        var message = string.IsNullOrEmpty(e.Message) || e.Message.StartsWith("Error making request", StringComparison.Ordinal) ? "" : $": {e.Message}";
        return new InvalidOperationException(
            $"S3 {operation} of {options.Bucket}{(key is null ? "" : "/" + key)} failed: {(int)e.StatusCode}{code}{message}{hint}", e);
    }

    private async Task EnsureBucketAsync(CancellationToken cancellationToken)
    {
        if (_bucketExists)
        {
            return;
        }

        try
        {
            await _client.HeadBucketAsync(new HeadBucketRequest { BucketName = _options.Bucket }, cancellationToken);
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            try
            {
                var request = new PutBucketRequest { BucketName = _options.Bucket, UseClientRegion = false };
                if (_options.Region != "us-east-1")
                {
                    request.BucketRegionName = _options.Region;
                }

                await _client.PutBucketAsync(request, cancellationToken);
                LogBucketCreated(_options.Bucket);
            }
            catch (AmazonS3Exception raced) when (raced.ErrorCode == "BucketAlreadyOwnedByYou")
            {
            }
            catch (AmazonServiceException failed)
            {
                throw Failure(_options, "bucket create", null, failed);
            }
        }
        catch (AmazonServiceException e)
        {
            throw Failure(_options, "bucket check", null, e);
        }

        _bucketExists = true;
    }

    private string LocationOf(string key)
    {
        if (string.IsNullOrEmpty(_options.Endpoint))
        {
            return $"https://{_options.Bucket}.s3.{_options.Region}.amazonaws.com/{key}";
        }

        var endpoint = new Uri(_options.Endpoint);
        var path = endpoint.AbsolutePath.TrimEnd('/');
        return _options.ForcePathStyle
            ? $"{endpoint.Scheme}://{endpoint.Authority}{path}/{_options.Bucket}/{key}"
            : $"{endpoint.Scheme}://{_options.Bucket}.{endpoint.Authority}{path}/{key}";
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "S3: created bucket {Bucket}")]
    private partial void LogBucketCreated(string bucket);
}
