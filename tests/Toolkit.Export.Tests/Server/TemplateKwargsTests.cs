using System.Text.Json.Nodes;
using Toolkit.Runtime.Generation;
using Toolkit.Runtime.Server;

namespace Toolkit.Export.Tests.Server;

/// <summary>vLLM's chat_template_kwargs is accepted (no longer an unknown field) and reaches the chat template's variables.</summary>
[Collection(ServerCollection.Name)]
public sealed class TemplateKwargsTests(ServerFixture f)
{
    static JsonObject Body(string kwargs) => JsonNode.Parse(
        $$"""{"model": "m", "messages": [{"role": "user", "content": "Hi"}], "chat_template_kwargs": {{kwargs}}}""")!.AsObject();

    [Fact]
    public void Chat_template_kwargs_are_read_and_rendered_as_template_variables()
    {
        var r = ChatRequest.Parse(Body("""{"enable_thinking": false, "greeting": "Hello"}"""));
        Assert.NotNull(r.ChatTemplateKwargs);
        Assert.Equal(["enable_thinking", "greeting"], r.ChatTemplateKwargs!.Keys.Order());

        // a Qwen3-style switch read by the template: the kwargs decide what the prompt holds
        const string template = "{% for m in messages %}{{ m.content }}{% endfor %}{% if enable_thinking is defined and not enable_thinking %}<think></think>{% endif %}{{ greeting | default('') }}";
        var tok = new Tokenizer(f.Model);
        var messages = r.Messages.ToJsonString();
        Assert.Equal("Hi<think></think>Hello", tok.ApplyChatTemplate(template, messages, null, true, r.ChatTemplateKwargs));
        Assert.Equal("Hi", tok.ApplyChatTemplate(template, messages, null, true));

        // the server's engine renders with them (the fixture's template ignores unknown variables: same prompt)
        var engine = new ChatEngine(f.Model);
        Assert.Equal(engine.Prepare(ChatRequest.Parse(Body("{}"))).PromptIds, engine.Prepare(r).PromptIds);
    }

    [Theory]
    [InlineData("true", "chat_template_kwargs")]
    [InlineData("""{"messages": []}""", "chat_template_kwargs.messages")]
    [InlineData("""{"add_generation_prompt": false}""", "chat_template_kwargs.add_generation_prompt")]
    public void Bad_chat_template_kwargs_are_refused_naming_the_field(string kwargs, string param)
    {
        var e = Assert.Throws<ApiError>(() => ChatRequest.Parse(Body(kwargs)));
        Assert.Equal(param, e.Param);
    }
}
