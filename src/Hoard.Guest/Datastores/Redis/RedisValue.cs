namespace Hoard.Guest.Datastores.Redis;

/// <summary>What kind of reply Redis sent (errors never become values: they are thrown).</summary>
internal enum RedisValueKind
{
    Nil,
    String,
    Status,
    Integer,
    Array,
}

/// <summary>One reply from Redis: a bulk string, a status line, an integer, nil, or an array of replies.</summary>
internal sealed record RedisValue(RedisValueKind Kind, string? Text = null, long Integer = 0, IReadOnlyList<RedisValue>? Items = null)
{
    public static readonly RedisValue Nil = new(RedisValueKind.Nil);

    public bool IsNil => Kind == RedisValueKind.Nil;

    /// <summary>The text of a bulk string or status reply; throws for any other kind.</summary>
    public string AsString() => Kind is RedisValueKind.String or RedisValueKind.Status
        ? Text!
        : throw new InvalidDataException($"Expected a string reply from Redis, got {Kind}.");

    public long AsInteger() => Kind == RedisValueKind.Integer
        ? Integer
        : throw new InvalidDataException($"Expected an integer reply from Redis, got {Kind}.");

    public IReadOnlyList<RedisValue> AsArray() => Kind == RedisValueKind.Array
        ? Items!
        : throw new InvalidDataException($"Expected an array reply from Redis, got {Kind}.");

    public override string ToString() => Kind switch
    {
        RedisValueKind.Nil => "(nil)",
        RedisValueKind.Integer => Integer.ToString(System.Globalization.CultureInfo.InvariantCulture),
        RedisValueKind.Array => "[" + string.Join(", ", Items!) + "]",
        _ => Text!,
    };
}
