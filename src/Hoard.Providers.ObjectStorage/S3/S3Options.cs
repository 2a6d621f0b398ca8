namespace Hoard.Providers.ObjectStorage.S3;

/// <summary>Settings of <see cref="S3BackupStorage"/>.</summary>
public sealed class S3Options
{
    public const string DefaultBucket = "database-backups";
    public const long DefaultPartSizeBytes = 16L << 20;

    /// <summary>S3's limits: every part but the last at least 5 MiB, at most 10 000 parts.</summary>
    public const long MinPartSizeBytes = 5L << 20;

    public const int MaxParts = 10_000;

    /// <summary>Parts are read into one pooled array each, which .NET limits to about 2 GiB; 1 GiB parts still allow 5 TB objects.</summary>
    public const long MaxPartSizeBytes = 1L << 30;

    /// <summary>
    /// The endpoint of an S3-compatible store (<c>http://127.0.0.1:8080</c> for Swift's s3api, MinIO, Ceph RGW); AWS itself
    /// (from <see cref="Region"/>) when unset.
    /// </summary>
    public string? Endpoint { get; set; }

    /// <summary>The region requests are signed for (and, without an endpoint, the AWS region).</summary>
    public string Region { get; set; } = "us-east-1";

    /// <summary>Created when missing (on the first put). S3 bucket names allow no '_', hence not Trove's container name.</summary>
    public string Bucket { get; set; } = DefaultBucket;

    public string AccessKey { get; set; } = "";

    public string SecretKey { get; set; } = "";

    /// <summary>Path-style URLs (<c>endpoint/bucket/key</c>), which Swift's s3api and MinIO need; virtual-hosted otherwise.</summary>
    public bool ForcePathStyle { get; set; } = true;

    /// <summary>Size of the parts of a multipart upload; grows (doubling every 1000 parts) so a backup stays under 10 000 parts.</summary>
    public long PartSizeBytes { get; set; } = DefaultPartSizeBytes;

    /// <summary>How many parts may be in flight at once (the next one is read meanwhile); each holds a buffer of a part's size.</summary>
    public int UploadConcurrency { get; set; } = 2;

    /// <summary>Limit of one request (a part's upload included) until its answer begins.</summary>
    public double RequestTimeoutSeconds { get; set; } = 300;

    /// <summary>What is wrong with these settings; empty when they can be used.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (!string.IsNullOrEmpty(Endpoint)
            && (!Uri.TryCreate(Endpoint, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)))
        {
            errors.Add("Endpoint must be an absolute http(s) URL.");
        }

        if (string.IsNullOrWhiteSpace(Region))
        {
            errors.Add("Region is required.");
        }

        if (Bucket.Length is < 3 or > 63 || Bucket.Any(c => !(char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '-' or '.')))
        {
            errors.Add("Bucket must be 3-63 characters of lower-case letters, digits, '-' and '.'.");
        }

        if (string.IsNullOrWhiteSpace(AccessKey) || string.IsNullOrEmpty(SecretKey))
        {
            errors.Add("AccessKey and SecretKey are required.");
        }

        if (PartSizeBytes is < MinPartSizeBytes or > MaxPartSizeBytes)
        {
            errors.Add($"PartSizeBytes must be between {MinPartSizeBytes} (5 MiB) and {MaxPartSizeBytes} (1 GiB).");
        }

        if (UploadConcurrency is < 1 or > 16)
        {
            errors.Add("UploadConcurrency must be between 1 and 16.");
        }

        if (RequestTimeoutSeconds <= 0)
        {
            errors.Add("RequestTimeoutSeconds must be positive.");
        }

        return errors;
    }
}
