using System.Text.Json.Nodes;
using Toolkit.Core.Folders;
using Toolkit.Core.Tests.Tokenizers;

namespace Toolkit.Core.Tests.Folders;

/// <summary>
/// The model-folder resolver on the real tokenizers the tests use: the end-of-turn token the chat template writes after
/// an answer becomes a stop id beside EOS where it differs (Llama-3), and the template is found in chat_template.jinja
/// as well as in tokenizer_config.json.
/// </summary>
public sealed class ModelFolderTests : IDisposable
{
    readonly string dir = Directory.CreateTempSubdirectory("tk-folder-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    [Theory]
    [InlineData("llama3", new[] { 128001, 128009 }, new[] { 128009 })]   // <|end_of_text|>, then the template's <|eot_id|>
    [InlineData("qwen3", new[] { 151645 }, new int[0])]                  // EOS is <|im_end|>, the template's end-of-turn
    [InlineData("gemma3", new[] { 106 }, new int[0])]                    // this config's EOS is <end_of_turn>
    public void Stop_ids_are_eos_plus_the_templates_end_of_turn(string model, int[] stops, int[] endOfTurn)
    {
        var f = ModelFolder.Open(TokenizerOracle.ModelFolder(model));
        Assert.Equal("tokenizer_config.json", f.ChatTemplateFile);
        Assert.Equal(stops, f.StopIds);
        Assert.Equal(endOfTurn, f.EndOfTurnIds);
        // an existing eos_token_id list stays first; only the missing end-of-turn ids are added
        Assert.Equal([7, .. endOfTurn], f.WithStopIds([7]));
    }

    [Fact]
    public void A_template_only_in_chat_template_jinja_is_found_with_its_special_tokens()
    {
        var src = TokenizerOracle.ModelFolder("llama3");
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(src, "tokenizer_config.json")))!.AsObject();
        var template = config["chat_template"]!.GetValue<string>();
        config.Remove("chat_template");
        File.WriteAllText(Path.Combine(dir, "tokenizer_config.json"), config.ToJsonString());
        File.Copy(Path.Combine(src, "tokenizer.json"), Path.Combine(dir, "tokenizer.json"));
        File.WriteAllText(Path.Combine(dir, "chat_template.jinja"), template);

        var f = ModelFolder.Open(dir);
        Assert.Equal("chat_template.jinja", f.ChatTemplateFile);
        Assert.Equal([128001, 128009], f.StopIds);
        Assert.Equal(["tokenizer.json", "tokenizer_config.json", "chat_template.jinja"], f.TokenizerFiles);
        var original = ModelFolder.Open(src).ChatTemplate!.Render([Toolkit.Core.Templates.ChatMessage.User("hi")], true);
        Assert.Equal(original, f.ChatTemplate!.Render([Toolkit.Core.Templates.ChatMessage.User("hi")], true));
        Assert.StartsWith("<|begin_of_text|>", original);
        Assert.Equal(128001, f.PadId);                                   // no pad token: EOS pads
    }
}
