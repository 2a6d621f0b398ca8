using System.Text.Json.Nodes;
using Hoard.Cli.Output;

namespace Hoard.Cli.Tests.Output;

public sealed class RendererTests
{
    private static readonly JsonArray Instances = JsonNode.Parse("""
        [{"id":"i-1","name":"shop","status":"ACTIVE","datastore":{"type":"mariadb","version":"10.11"},"ip":["127.100.0.2"],
          "volume":{"size":2},"links":[{"href":"x"}]}]
        """)!.AsArray();

    private static readonly Column[] Columns = [new("Name", "name"), new("Datastore", "datastore.type"), new("Addresses", "ip"), new("Size", "volume.size")];

    private static string Render(OutputFormat format, Action<Renderer> render)
    {
        var writer = new StringWriter();
        render(new Renderer(format, writer, interactive: false));
        return writer.ToString();
    }

    [Fact]
    public void Json_IsTheServersDataUnchanged()
    {
        var text = Render(OutputFormat.Json, r => r.List(Instances, Columns));
        Assert.True(JsonNode.DeepEquals(Instances, JsonNode.Parse(text)));
    }

    [Fact]
    public void Yaml_HasTheNestedValues()
    {
        var text = Render(OutputFormat.Yaml, r => r.Show(Instances[0]!.AsObject()));
        Assert.Contains("name: shop", text, StringComparison.Ordinal);
        Assert.Contains("datastore:\n  type: mariadb", text.ReplaceLineEndings("\n"), StringComparison.Ordinal);
        Assert.Contains("size: 2", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Table_HasOneRowPerItem_WithValuesAtTheColumnsPaths()
    {
        var row = Render(OutputFormat.Table, r => r.List(Instances, Columns)).Split('\n').Single(l => l.Contains("shop", StringComparison.Ordinal));
        Assert.Matches(@"shop\s*\S\s*mariadb\s*\S\s*127\.100\.0\.2\s*\S\s*2", row);
    }

    [Fact]
    public void ShowTable_HasAFieldPerProperty_ButNoLinks()
    {
        var text = Render(OutputFormat.Table, r => r.Show(Instances[0]!.AsObject()));
        Assert.Contains("type=mariadb, version=10.11", text, StringComparison.Ordinal);
        Assert.DoesNotContain("links", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Messages_AreForPeopleOnly()
    {
        Assert.Equal("Deleted.\n", Render(OutputFormat.Table, r => r.Message("Deleted.")).ReplaceLineEndings("\n"));
        Assert.Equal("", Render(OutputFormat.Json, r => r.Message("Deleted.")));
    }

    [Theory]
    [InlineData("""["a","b"]""", "a, b")]
    [InlineData("""[{"name":"shop"},{"name":"orders"}]""", "shop, orders")]
    [InlineData("""true""", "true")]
    [InlineData("""{"id":"2","links":[{"href":"x"}]}""", "id=2")]
    [InlineData("""{"k":{"deep":1}}""", """{"k":{"deep":1}}""")]
    public void Text_OfAValue_IsShort(string json, string text) => Assert.Equal(text, JsonText.Text(JsonNode.Parse(json)));
}
