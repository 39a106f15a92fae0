using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Toolkit.Runtime.Generation;

namespace Toolkit.Export.Tests.Server;

/// <summary>Bad requests are answered 400 (404 for an unknown model) with an OpenAI error body naming the field; nothing is generated.</summary>
[Collection(ServerCollection.Name)]
public sealed class ValidationTests(ServerFixture f)
{
    public static TheoryData<string, string> BadFields => new()
    {
        { """{"temperature": 3}""", "temperature" },
        { """{"temperature": "hot"}""", "temperature" },
        { """{"top_p": 0}""", "top_p" },
        { """{"top_k": -2}""", "top_k" },
        { """{"n": 2}""", "n" },
        { """{"max_completion_tokens": 0}""", "max_completion_tokens" },
        { """{"max_tokens": 2.5}""", "max_tokens" },
        { """{"max_completion_tokens": 100000}""", "max_tokens" },
        { """{"messages": []}""", "messages" },
        { """{"messages": "hi"}""", "messages" },
        { """{"messages": [{"role": "robot", "content": "hi"}]}""", "messages[0].role" },
        { """{"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "x"}}]}]}""", "messages[0].content[0]" },
        { """{"messages": [{"role": "user", "content": 5}]}""", "messages[0].content" },
        { """{"stop": ["a", "b", "c", "d", "e"]}""", "stop" },
        { """{"stop": [""]}""", "stop" },
        { """{"stop": 7}""", "stop" },
        { """{"stream": "yes"}""", "stream" },
        { """{"max_token": 5}""", "max_token" },
        { """{"tools": [{"type": "function", "function": {"name": "f"}}]}""", "tools" },
        { """{"frequency_penalty": 0.5}""", "frequency_penalty" },
        { """{"logprobs": true}""", "logprobs" },
        { """{"stream_options": {"include_usage": true}}""", "stream_options" },
        { """{"response_format": {"type": "json_object"}}""", "response_format" },
        { """{"model": ""}""", "model" },
    };

    [Theory]
    [MemberData(nameof(BadFields))]
    public async Task A_bad_field_gets_400_naming_it(string patch, string param)
    {
        await using var server = await ServerKit.Start(f);
        using var http = ServerKit.Http(server);
        var body = ServerKit.Body(server, "Hi", edit: b =>
        {
            foreach (var (k, v) in JsonNode.Parse(patch)!.AsObject()) b[k] = v?.DeepClone();
        });
        using var r = await http.PostAsync("v1/chat/completions", ServerKit.Json(body));
        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        var error = await ServerKit.Error(r);
        Assert.Equal("invalid_request_error", error["type"]!.GetValue<string>());
        Assert.Equal(param, error["param"]!.GetValue<string>());
        Assert.Equal(0, server.Stats.Completed);
    }

    [Fact]
    public async Task Broken_json_an_unknown_model_and_an_unknown_route_get_error_bodies()
    {
        await using var server = await ServerKit.Start(f);
        using var http = ServerKit.Http(server);
        using (var r = await http.PostAsync("v1/chat/completions", new StringContent("{\"model\": ", Encoding.UTF8, "application/json")))
        {
            Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
            Assert.Equal("body", (await ServerKit.Error(r))["param"]!.GetValue<string>());
        }
        using (var r = await http.PostAsync("v1/chat/completions", ServerKit.Json(ServerKit.Body(server, "Hi", edit: b => b["model"] = "gpt-4o"))))
        {
            Assert.Equal(HttpStatusCode.NotFound, r.StatusCode);
            var error = await ServerKit.Error(r);
            Assert.Equal("model", error["param"]!.GetValue<string>());
            Assert.Equal("model_not_found", error["code"]!.GetValue<string>());
        }
        using (var r = await http.GetAsync("v1/embeddings"))
        {
            Assert.Equal(HttpStatusCode.NotFound, r.StatusCode);
            await ServerKit.Error(r);
        }
    }

    [Fact]
    public async Task Accepted_forms_pass_text_parts_developer_role_and_neutral_fields()
    {
        await using var server = await ServerKit.Start(f);
        using var http = ServerKit.Http(server);
        var body = ServerKit.Body(server, "unused", edit: b =>
        {
            b["messages"] = JsonNode.Parse("""[{"role": "developer", "content": "Be brief."}, {"role": "user", "content": [{"type": "text", "text": "What is "}, {"type": "text", "text": "2+2?"}]}]""");
            b["max_tokens"] = 24;
            b["frequency_penalty"] = 0;
            b["logprobs"] = false;
            b["tools"] = new JsonArray();
            b["user"] = "someone";
            b["stop"] = "never-in-the-answer-xyz";
        });
        using var r = await http.PostAsync("v1/chat/completions", ServerKit.Json(body));
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        var text = JsonNode.Parse(await r.Content.ReadAsStringAsync())!["choices"]![0]!["message"]!["content"]!.GetValue<string>();
        var expected = f.Model.Generate(["What is 2+2?"], new() { SystemPrompt = "Be brief.", Search = new DecodingSettings { MaxNewTokens = 24, DoSample = false } })[0].Text;
        Assert.Equal(expected, text);
    }
}
