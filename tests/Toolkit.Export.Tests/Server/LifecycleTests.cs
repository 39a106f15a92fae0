using System.Net;
using System.Text.Json.Nodes;
using Toolkit.Runtime.Server;
using Xunit.Abstractions;

namespace Toolkit.Export.Tests.Server;

/// <summary>Graceful shutdown finishes what is in flight; a client that disconnects stops its generation.</summary>
[Collection(ServerCollection.Name)]
public sealed class LifecycleTests(ServerFixture f, ITestOutputHelper output)
{
    [Fact]
    public async Task Stopping_refuses_new_connections_and_lets_an_in_flight_request_finish()
    {
        var server = await ServerKit.Start(f, o => o with { MaxConcurrency = 1, MaxQueue = 4 });
        await using var _ = server;
        using var http = ServerKit.Http(server);
        var question = ServerKit.Questions[4];

        // a streaming request in flight: accepted, waiting for the one slot the test holds
        var held = await server.Admission.TryEnterAsync();
        var inFlight = http.SendAsync(new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions") { Content = ServerKit.Json(ServerKit.Body(server, question, 32, stream: true)) },
            HttpCompletionOption.ResponseHeadersRead);
        Assert.True(await ServerKit.Eventually(() => server.Admission.Waiting == 1));

        var stopping = server.StopAsync();
        await Task.Delay(300);
        Assert.False(stopping.IsCompleted, "the server must wait for the request in flight");
        using (var fresh = ServerKit.Http(server))   // a new connection is refused while it drains
            await Assert.ThrowsAsync<HttpRequestException>(() => fresh.GetAsync("v1/models"));

        held!.Dispose();
        using var response = await inFlight;
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var events = await ServerKit.Events(response);
        Assert.Equal("[DONE]", events[^1]);
        Assert.Equal(ServerKit.Direct(f.Model, question, 32), ServerKit.Text(events));
        await stopping.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(1, server.Stats.Completed);
    }

    [Fact]
    public async Task A_client_that_disconnects_cancels_its_generation_and_frees_its_slot()
    {
        await using var server = await ServerKit.Start(f, o => o with { MaxConcurrency = 1, MaxQueue = 0 });
        using var http = ServerKit.Http(server);
        // a client that hangs up: no draining of the rest of the response to reuse the connection (SocketsHttpHandler's default)
        using var hangUp = new HttpClient(new SocketsHttpHandler { MaxResponseDrainSize = 0 }) { BaseAddress = server.BaseAddress };
        hangUp.DefaultRequestHeaders.Authorization = http.DefaultRequestHeaders.Authorization;
        // 220 tokens that cannot end early (min_tokens blocks EOS): long enough to be cut off mid-way
        var body = ServerKit.Body(server, ServerKit.Questions[0], 220, stream: true, edit: b => b["min_tokens"] = 220);
        using (var cancel = new CancellationTokenSource())
        {
            var response = await hangUp.SendAsync(new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions") { Content = ServerKit.Json(body) },
                HttpCompletionOption.ResponseHeadersRead, cancel.Token);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancel.Token));
            Assert.StartsWith("data: ", await reader.ReadLineAsync(cancel.Token));   // the role chunk: generation has started
            cancel.Cancel();
            response.Dispose();   // the connection closes
        }
        var noticed = await ServerKit.Eventually(() => server.Stats.Cancelled == 1);
        Assert.True(noticed, "the server should notice the disconnect");
        Assert.True(await ServerKit.Eventually(() => server.Admission.Running == 0), "the slot should be freed once the generator stops");
        output.WriteLine($"the generator stopped after {server.Stats.DiscardedTokens} of 220 tokens");
        Assert.InRange(server.Stats.DiscardedTokens, 0, 219);   // it stopped early, not at the end of the answer
        Assert.Equal(0, server.Stats.Completed);

        // the freed slot serves the next request (max_queue 0 would answer 429 if it were still held)
        using var next = await http.PostAsync("v1/chat/completions", ServerKit.Json(ServerKit.Body(server, ServerKit.Questions[0])));
        Assert.Equal(HttpStatusCode.OK, next.StatusCode);
        output.WriteLine($"after the disconnect: {JsonNode.Parse(await next.Content.ReadAsStringAsync())!["usage"]}");
    }

    [Fact]
    public async Task Options_are_checked_and_a_server_loads_its_own_model()
    {
        Assert.Throws<ArgumentException>(() => new ServeOptions { Model = f.Folder, MaxConcurrency = 0 }.Validate());
        Assert.Throws<ArgumentException>(() => new ServeOptions { Model = f.Folder, Host = "my-laptop" }.Validate());
        Assert.Throws<ArgumentException>(() => new ServeOptions { Model = Path.Combine(f.Folder, "missing") }.Validate());
        Assert.False(new ServeOptions { Model = f.Folder }.IsExposed);
        Assert.True(new ServeOptions { Model = f.Folder, Host = "0.0.0.0" }.IsExposed);

        var warnings = new List<string>();
        await using var server = await ChatServer.StartAsync(new ServeOptions { Model = f.Folder, Port = 0 }, log: warnings.Add);
        Assert.Empty(warnings);   // loopback: nothing to warn about
        Assert.Equal("127.0.0.1", server.BaseAddress.Host);
        using var http = ServerKit.Http(server, key: null);   // no key configured: none needed
        using var r = await http.PostAsync("v1/chat/completions", ServerKit.Json(ServerKit.Body(server, ServerKit.Questions[2])));
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        Assert.Equal(ServerKit.Direct(f.Model, ServerKit.Questions[2]), JsonNode.Parse(await r.Content.ReadAsStringAsync())!["choices"]![0]!["message"]!["content"]!.GetValue<string>());
    }
}
