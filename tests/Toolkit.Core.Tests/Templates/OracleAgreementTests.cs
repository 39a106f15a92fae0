using System.Diagnostics;
using System.Text.Json.Nodes;
using Toolkit.Core.Templates;
using Xunit.Abstractions;

namespace Toolkit.Core.Tests.Templates;

/// <summary>
/// Every case of every fixture template rendered by our interpreter and by @huggingface/jinja must agree character for
/// character; where the template raises (raise_exception), our TemplateException must carry the same message.
/// </summary>
public sealed class OracleAgreementTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("qwen3")]
    [InlineData("llama3")]
    [InlineData("gemma3")]
    [InlineData("mistral-v0.3")]
    [InlineData("phi3-mini")]
    [InlineData("chatml")]
    [InlineData("llama3.1-instruct")]
    [InlineData("llama3.2-vision")]
    [InlineData("tiny")]
    [InlineData("features")]
    public void Renderings_match_huggingface_jinja(string name)
    {
        var dir = JinjaOracle.FixturesDir;
        var casesPath = Path.Combine(dir, name + ".cases.json");
        string templatePath;
        if (name == "tiny")
        {
            // the tiny preset's template is the ChatTemplate.TinyPresetSource constant itself
            templatePath = Path.Combine(Path.GetTempPath(), $"tiny-{Environment.ProcessId}.jinja");
            File.WriteAllText(templatePath, ChatTemplate.TinyPresetSource);
        }
        else templatePath = Path.Combine(dir, name + ".jinja");

        var sw = Stopwatch.StartNew();
        var expected = JinjaOracle.Render(templatePath, casesPath);
        var oracleMs = sw.ElapsedMilliseconds;
        var template = ChatTemplate.Parse(File.ReadAllText(templatePath));
        var cases = JsonNode.Parse(File.ReadAllText(casesPath))!.AsArray();
        Assert.Equal(cases.Count, expected.Count);

        var agree = 0;
        var raised = 0;
        var problems = new List<string>();
        for (var k = 0; k < cases.Count; k++)
        {
            var c = cases[k]!;
            var want = expected[k];
            var (text, error) = RenderCase(template, c);
            if (want.Error is not null)
            {
                if (error?.RaisedMessage == want.Error) { agree++; raised++; }
                else problems.Add($"[{want.Name}] oracle raised \"{want.Error}\", we gave {(error is null ? $"text {Show(text!)}" : $"error \"{error.Message}\"")}");
            }
            else if (error is not null) problems.Add($"[{want.Name}] we threw \"{error.Message}\", oracle rendered {Show(want.Text!)}");
            else if (text == want.Text) agree++;
            else problems.Add($"[{want.Name}] {FirstDifference(want.Text!, text!)}");
        }
        sw.Stop();
        output.WriteLine($"{name}: {agree}/{cases.Count} renderings identical ({raised} of them the same raise_exception message); node {oracleMs} ms, total {sw.ElapsedMilliseconds} ms");
        foreach (var p in problems) output.WriteLine("  " + p);
        Assert.True(problems.Count == 0, $"{name}: {problems.Count} of {cases.Count} renderings differ:\n" + string.Join("\n", problems));
    }

    static (string? Text, TemplateException? Error) RenderCase(ChatTemplate template, JsonNode c)
    {
        var t = template.WithSpecialTokens(c["bos_token"]?.GetValue<string>(), c["eos_token"]?.GetValue<string>());
        var now = DateTime.Parse(c["now"]?.GetValue<string>() ?? "2024-07-26T09:30", System.Globalization.CultureInfo.InvariantCulture);
        t = t.WithClock(() => now);
        var extra = new Dictionary<string, object?>();
        if (c["extra"] is JsonObject ex)
            foreach (var (k, v) in ex) extra[k] = v;
        try
        {
            return (t.Render(c["messages"]!.AsArray(), c["add_generation_prompt"]!.GetValue<bool>(), extra), null);
        }
        catch (TemplateException e)
        {
            return (null, e);
        }
    }

    static readonly System.Text.Json.JsonSerializerOptions Readable =
        new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    static string Show(string s) => System.Text.Json.JsonSerializer.Serialize(s.Length > 160 ? s[..160] + "..." : s, Readable);

    static string FirstDifference(string want, string got)
    {
        var i = 0;
        while (i < want.Length && i < got.Length && want[i] == got[i]) i++;
        var from = Math.Max(0, i - 30);
        string Around(string s) => Show(s[from..Math.Min(s.Length, i + 40)]);
        return $"first difference at char {i} (oracle {want.Length} chars, ours {got.Length}): oracle {Around(want)} vs ours {Around(got)}";
    }
}
