using System.Text.Json.Nodes;
using Toolkit.Core.Checkpoints;

namespace Toolkit.Core.Tests.Checkpoints;

public class GenerationConfigTests
{
    static GenerationConfig ReadText(TempFolder dir, string json)
    {
        File.WriteAllText(dir.File(GenerationConfig.FileName), json);
        return GenerationConfig.Read(dir.File(GenerationConfig.FileName));
    }

    [Fact]
    public void Qwen_generation_config_reads_every_field()
    {
        using var dir = new TempFolder();
        var g = ReadText(dir, ConfigFixtures.QwenGeneration);
        Assert.Equal((151643, 151643, true, 0.7, 20, 0.8, 1.1), (g.BosTokenId, g.PadTokenId, g.DoSample, g.Temperature, g.TopK, g.TopP, g.RepetitionPenalty));
        Assert.Equal([151645, 151643], g.EosTokenIds);
        Assert.Null(g.MaxNewTokens);
        Assert.Empty(g.ExtraFields);
    }

    [Theory]
    [InlineData(ConfigFixtures.QwenGeneration)]
    [InlineData(ConfigFixtures.LlamaGeneration)]
    public void Round_trip_keeps_exactly_the_fields_of_the_file(string fixture)
    {
        using var dir = new TempFolder();
        ReadText(dir, fixture).Write(dir.File("out.json"));
        Assert.Empty(JsonAssert.Preserved(fixture, File.ReadAllText(dir.File("out.json"))));
    }

    [Fact]
    public void Unknown_fields_and_lengths_survive_a_round_trip()
    {
        using var dir = new TempFolder();
        var node = JsonNode.Parse(ConfigFixtures.LlamaGeneration)!.AsObject();
        node["max_new_tokens"] = 512;
        node["max_length"] = 4096;
        node["num_beams"] = 1;
        node["eos_token_id"] = 2;
        var json = node.ToJsonString();
        var g = ReadText(dir, json);
        Assert.Equal((512, 4096), (g.MaxNewTokens, g.MaxLength));
        Assert.Equal([2], g.EosTokenIds);
        g.Write(dir.File("out.json"));
        Assert.Empty(JsonAssert.Preserved(json, File.ReadAllText(dir.File("out.json"))));
    }

    [Theory]
    [InlineData("top_p", 1.5, "in (0, 1]")]
    [InlineData("temperature", -1.0, "must be ≥ 0")]
    [InlineData("top_k", -3, "must be ≥ 0")]
    [InlineData("repetition_penalty", 0.0, "must be > 0")]
    [InlineData("max_new_tokens", 0, "must be positive")]
    public void Out_of_range_values_are_refused_naming_file_and_field(string field, double value, string phrase)
    {
        using var dir = new TempFolder();
        var node = JsonNode.Parse(ConfigFixtures.QwenGeneration)!.AsObject();
        node[field] = field is "top_k" or "max_new_tokens" ? JsonValue.Create((int)value) : JsonValue.Create(value);
        var e = Assert.Throws<CheckpointException>(() => ReadText(dir, node.ToJsonString()));
        Assert.Contains(dir.File(GenerationConfig.FileName), e.Message);
        Assert.Contains($"'{field}'", e.Message);
        Assert.Contains(phrase, e.Message);
    }
}
