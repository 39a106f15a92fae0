using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Toolkit.Runtime.Server;
using Xunit.Abstractions;

namespace Toolkit.Export.Tests.Server;

/// <summary>
/// Requests the server must refuse with an OpenAI-shaped JSON error, not a 500 or an empty body: invalid UTF-8 in any
/// string (400 naming the field), unpaired surrogate escapes (400), bodies over ServeOptions.MaxRequestBytes (413 naming
/// the limit), with memory bounded under a stream of oversized requests; the server keeps serving afterwards.
/// </summary>
[Collection(ServerCollection.Name)]
public sealed class HostileRequestTests(ServerFixture f, ITestOutputHelper output)
{
    /// <summary>The body as bytes with the marker "@@" replaced by <paramref name="raw"/>.</summary>
    static ByteArrayContent RawBody(string json, byte[] raw)
    {
        var at = json.IndexOf("@@", StringComparison.Ordinal);
        var bytes = Encoding.UTF8.GetBytes(json[..at]).Concat(raw).Concat(Encoding.UTF8.GetBytes(json[(at + 2)..])).ToArray();
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new("application/json");
        return content;
    }

    [Theory]
    [InlineData("""{"model": "M", "messages": [{"role": "user", "content": "hi @@ there"}]}""", "messages[0].content")]
    [InlineData("""{"model": "M", "messages": [{"role": "us@@er", "content": "hi"}]}""", "messages[0].role")]
    [InlineData("""{"model": "M@@", "messages": [{"role": "user", "content": "hi"}]}""", "model")]
    [InlineData("""{"model": "M", "messages": [{"role": "user", "content": "hi"}], "stop": ["a", "b@@"]}""", "stop[1]")]
    [InlineData("""{"model": "M", "messages": [{"role": "user", "content": [{"type": "text", "text": "@@"}]}]}""", "messages[0].content[0].text")]
    public async Task Invalid_utf8_in_any_string_is_400_naming_the_field(string json, string param)
    {
        await using var server = await ServerKit.Start(f);
        using var http = ServerKit.Http(server);
        foreach (var bad in new[] { new byte[] { 0xFF }, [0xC3], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80] })
        {
            using var r = await http.PostAsync("v1/chat/completions", RawBody(json.Replace("\"M", "\"" + server.ModelName), bad));
            Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
            var error = await ServerKit.Error(r);
            Assert.Equal(param, error["param"]!.GetValue<string>());
            Assert.Equal("invalid_utf8", error["code"]!.GetValue<string>());
        }
        using var ok = await http.PostAsync("v1/chat/completions", ServerKit.Json(ServerKit.Body(server, "Hi", maxTokens: 2)));
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
    }

    [Fact]
    public async Task An_unpaired_surrogate_escape_is_400_naming_the_field()
    {
        await using var server = await ServerKit.Start(f);
        using var http = ServerKit.Http(server);
        var json = $$"""{"model": "{{server.ModelName}}", "messages": [{"role": "user", "content": "hi \ud800 there"}]}""";
        using var r = await http.PostAsync("v1/chat/completions", new StringContent(json, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        Assert.Equal("messages[0].content", (await ServerKit.Error(r))["param"]!.GetValue<string>());
    }

    /// <summary>Sends headers and as much of an oversized body as the server takes over a raw socket; returns the status and body of the answer.</summary>
    static async Task<(int Status, string Body)> SendOversized(ChatServer server, long bodyBytes, bool chunked)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, server.BaseAddress.Port);
        var stream = tcp.GetStream();
        var head = $"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {ServerKit.Key}\r\nContent-Type: application/json\r\n" +
                   (chunked ? "Transfer-Encoding: chunked\r\n" : $"Content-Length: {bodyBytes}\r\n") + "\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head));
        var prefix = Encoding.UTF8.GetBytes($$"""{"model": "{{server.ModelName}}", "messages": [{"role": "user", "content": " """);
        var chunk = new byte[64 * 1024];
        Array.Fill(chunk, (byte)'a');
        try
        {
            long sent = 0;
            async Task Send(byte[] data)
            {
                if (chunked) await stream.WriteAsync(Encoding.ASCII.GetBytes($"{data.Length:X}\r\n"));
                await stream.WriteAsync(data);
                if (chunked) await stream.WriteAsync("\r\n"u8.ToArray());
                sent += data.Length;
            }
            await Send(prefix);
            while (sent < bodyBytes) await Send(chunk);
        }
        catch (IOException) { /* the server answered and closed before taking it all: expected */ }
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var response = await reader.ReadToEndAsync();
        var status = int.Parse(response.Split(' ')[1]);
        return (status, response[(response.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4)..]);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_body_over_the_limit_is_413_naming_the_limit(bool chunked)
    {
        await using var server = await ServerKit.Start(f, o => o with { MaxRequestBytes = 1 << 20 });
        var (status, body) = await SendOversized(server, 3 << 20, chunked);
        output.WriteLine(body);
        Assert.Equal(413, status);
        body = body[body.IndexOf('{')..(body.LastIndexOf('}') + 1)];   // the answer itself may come chunked
        var error = JsonNode.Parse(body)!["error"]!;
        Assert.Equal("request_too_large", error["code"]!.GetValue<string>());
        Assert.Contains("at most 1,048,576 bytes", error["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task Memory_stays_bounded_under_a_stream_of_oversized_requests()
    {
        // the default limit (4 MiB); each request carries 20 MiB, four at a time, for about three seconds
        await using var server = await ServerKit.Start(f);
        using var http = ServerKit.Http(server);
        using (var warm = await http.PostAsync("v1/chat/completions", ServerKit.Json(ServerKit.Body(server, "Hi", maxTokens: 2)))) { }
        GC.Collect();
        var self = Process.GetCurrentProcess();
        self.Refresh();
        var before = self.WorkingSet64;
        var peak = before;
        var sw = Stopwatch.StartNew();
        var sent = 0;
        var statuses = new List<int>();
        while (sw.Elapsed < TimeSpan.FromSeconds(3) && sent < 64)
        {
            var batch = await Task.WhenAll(Enumerable.Range(0, 4).Select(k => SendOversized(server, 20L << 20, chunked: k % 2 == 1)));
            statuses.AddRange(batch.Select(b => b.Status));
            sent += batch.Length;
            self.Refresh();
            peak = Math.Max(peak, self.WorkingSet64);
        }
        output.WriteLine($"{sent} requests of 20 MiB in {sw.Elapsed.TotalSeconds:F1} s: RSS {before / 1e6:F0} MB before, peak {peak / 1e6:F0} MB (+{(peak - before) / 1e6:F0} MB)");
        Assert.All(statuses, s => Assert.Equal(413, s));
        Assert.True(peak - before < 300_000_000, $"RSS grew by {(peak - before) / 1e6:F0} MB");
        using var ok = await http.PostAsync("v1/chat/completions", ServerKit.Json(ServerKit.Body(server, "Hi", maxTokens: 2)));
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
    }
}

/// <summary>A model folder whose chat template calls itself for ever: each request is a 400 naming the template line, and the server lives on.</summary>
[Collection(ServerCollection.Name)]
public sealed class HostileTemplateTests(ServerFixture f, ITestOutputHelper output)
{
    [Fact]
    public async Task A_template_that_recurses_for_ever_is_400_for_that_request_only()
    {
        var dir = Directory.CreateTempSubdirectory("tk-hostile-tpl-");
        try
        {
            foreach (var file in Directory.GetFiles(f.Folder)) File.Copy(file, Path.Combine(dir.FullName, Path.GetFileName(file)));
            var configPath = Path.Combine(dir.FullName, "tokenizer_config.json");
            var config = JsonNode.Parse(File.ReadAllText(configPath))!.AsObject();
            config["chat_template"] = "{% macro f(n) %}{{ f(n+1) }}{% endmacro %}\n{{ f(0) }}";
            File.WriteAllText(configPath, config.ToJsonString());
            File.Delete(Path.Combine(dir.FullName, "chat_template.jinja"));

            await using var server = await Toolkit.Runtime.Server.ChatServer.StartAsync(
                new Toolkit.Runtime.Server.ServeOptions { Model = dir.FullName, Port = 0, ApiKey = ServerKit.Key }, log: _ => { });
            using var http = ServerKit.Http(server);
            for (var k = 0; k < 3; k++)
            {
                using var r = await http.PostAsync("v1/chat/completions", ServerKit.Json(ServerKit.Body(server, "Hi", maxTokens: 2)));
                Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
                var message = (await ServerKit.Error(r))["message"]!.GetValue<string>();
                output.WriteLine(message);
                Assert.Contains("nests deeper than", message);
                Assert.Contains("template line 1:", message);
            }
            using var health = await http.GetAsync("health");
            Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        }
        finally { dir.Delete(true); }
    }
}
