using System.Net.Http.Headers;
using System.Text.Json.Nodes;

namespace Hoard.Cli.Http;

internal sealed record JsonResponse(int Status, JsonNode? Body, HttpResponseHeaders Headers);
