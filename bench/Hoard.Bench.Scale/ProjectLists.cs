using System.Text.Json.Nodes;

namespace Hoard.Bench.Scale;

/// <summary>
/// A project's instance list as Hoard answers it: the first page (Trove's default limit) and the whole walk by next
/// links (<c>limit</c>/<c>marker</c>), with every answer's bytes kept for the bare endpoint. Checks on the way that the
/// walk shows each seeded instance of the project once, ACTIVE: else the load would measure something else.
/// </summary>
internal sealed class ProjectLists
{
    private ProjectLists(string project, ListOperation firstPage, ListOperation walk)
    {
        Project = project;
        FirstPage = firstPage;
        Walk = walk;
    }

    public string Project { get; }

    public ListOperation FirstPage { get; }

    public ListOperation Walk { get; }

    public static async Task<ProjectLists> CaptureAsync(HttpClient http, string project, string endpoint, string token, int expected,
        CapturedAnswers answers, CancellationToken cancellationToken)
    {
        var baseUri = new Uri(endpoint);
        var path = baseUri.AbsolutePath.TrimEnd('/') + "/instances";
        var walk = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var next = path;
        while (next is not null)
        {
            walk.Add(next);
            var (body, contentType) = await HttpLoad.GetAsync(http, new Uri(baseUri, next).ToString(), token, cancellationToken);
            answers.Add(next, contentType ?? "application/json", body);
            var page = JsonNode.Parse(body) ?? throw new InvalidDataException($"GET {next}: not JSON");
            foreach (var instance in page["instances"]?.AsArray() ?? [])
            {
                var id = (string?)instance?["id"] ?? throw new InvalidDataException($"GET {next}: an instance without id");
                if (!seen.Add(id))
                    throw new InvalidDataException($"The walk of project {project} showed instance {id} twice.");
                if ((string?)instance?["status"] != "ACTIVE")
                    throw new InvalidDataException($"Instance {id} is {(string?)instance?["status"]}, not ACTIVE: the seeded state was not kept.");
            }

            var href = page["links"]?.AsArray().FirstOrDefault(l => (string?)l?["rel"] == "next")?["href"]?.GetValue<string>();
            next = href is null ? null : new Uri(href).PathAndQuery;
            if (walk.Count > expected + 2)
                throw new InvalidDataException($"The walk of project {project} did not end after {walk.Count} pages.");
        }

        if (seen.Count != expected)
            throw new InvalidDataException($"The walk of project {project} showed {seen.Count} instances, not the {expected} seeded.");
        return new ProjectLists(project, new ListOperation(token, [path]), new ListOperation(token, walk));
    }
}
