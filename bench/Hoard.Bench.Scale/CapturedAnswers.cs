namespace Hoard.Bench.Scale;

/// <summary>
/// Hoard's answers (path and query → content type and body), saved to a directory for the bare endpoint to serve:
/// <c>index.tsv</c> (path-and-query, content type, file name) and one file per body.
/// </summary>
internal sealed class CapturedAnswers(string directory)
{
    private readonly List<string> _index = [];

    public string Directory => directory;

    public void Add(string pathAndQuery, string contentType, byte[] body)
    {
        System.IO.Directory.CreateDirectory(directory);
        var file = $"{_index.Count:00000}.json";
        File.WriteAllBytes(Path.Combine(directory, file), body);
        _index.Add($"{pathAndQuery}\t{contentType}\t{file}");
    }

    public void Save() => File.WriteAllLines(Path.Combine(directory, "index.tsv"), _index);

    public static Dictionary<string, (string ContentType, byte[] Body)> Load(string directory) =>
        File.ReadAllLines(Path.Combine(directory, "index.tsv"))
            .Select(line => line.Split('\t'))
            .ToDictionary(f => f[0], f => (f[1], File.ReadAllBytes(Path.Combine(directory, f[2]))), StringComparer.Ordinal);
}
