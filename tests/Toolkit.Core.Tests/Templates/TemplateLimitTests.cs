using System.Diagnostics;
using System.Text.Json.Nodes;
using Toolkit.Core.Templates;
using Xunit.Abstractions;

namespace Toolkit.Core.Tests.Templates;

/// <summary>
/// Hostile templates (they ship inside downloaded model folders) end in a <see cref="TemplateException"/> naming the
/// template line, never in a stack overflow, a hang or an exhausted memory; real templates render under limits far
/// tighter than the defaults.
/// </summary>
public sealed class TemplateLimitTests(ITestOutputHelper output)
{
    static readonly string[] NoMessages = [];

    static TemplateException RenderError(string source, TemplateLimits? limits = null)
    {
        var t = ChatTemplate.Parse(source);
        if (limits is not null) t = t.WithLimits(limits);
        return Assert.Throws<TemplateException>(() => t.Render(new JsonArray(), false));
    }

    [Fact]
    public void A_macro_that_calls_itself_is_an_error_at_its_line_not_a_stack_overflow()
    {
        var e = RenderError("hello\n{% macro f(n) %}{{ f(n+1) }}{% endmacro %}{{ f(0) }}");
        output.WriteLine(e.Message);
        Assert.Contains("nests deeper than 400 levels", e.Message);
        Assert.Equal(2, e.Line);
    }

    [Fact]
    public void Deep_recursion_on_a_thread_with_a_small_stack_is_still_an_error()
    {
        // 256 KiB stack: the depth limit alone would not save it; the stack check must.
        Exception? caught = null;
        var thread = new Thread(() =>
        {
            try { RenderError("{% macro f(n) %}{{ f(n+1) }}{% endmacro %}{{ f(0) }}", TemplateLimits.Default with { MaxDepth = 4000 }); }
            catch (Exception ex) { caught = ex; }
        }, 256 * 1024);
        thread.Start();
        thread.Join();
        Assert.Null(caught);
    }

    [Fact]
    public void A_tokenizer_config_template_error_names_the_file_and_the_template_line()
    {
        var dir = Directory.CreateTempSubdirectory("tk-tpl-");
        try
        {
            var path = Path.Combine(dir.FullName, "tokenizer_config.json");
            File.WriteAllText(path, new JsonObject { ["chat_template"] = "{% macro f(n) %}{{ f(n+1) }}{% endmacro %}\n{{ f(0) }}" }.ToJsonString());
            var t = ChatTemplate.FromTokenizerConfig(path);
            var e = Assert.Throws<TemplateException>(() => t.Render(NoMessages.Select(_ => new ChatMessage("user", "")).ToList(), true));
            output.WriteLine(e.Message);
            Assert.StartsWith($"{path}: field 'chat_template': ", e.Message);
            Assert.Contains("template line 1:", e.Message);
        }
        finally { dir.Delete(true); }
    }

    [Fact]
    public void Nested_loops_without_end_stop_at_the_work_budget()
    {
        var sw = Stopwatch.StartNew();
        var e = RenderError("{% for a in range(1000000) %}\n{% for b in range(1000000) %}{{ '' }}{% endfor %}{% endfor %}",
            TemplateLimits.Default with { MaxSteps = 200_000 });
        output.WriteLine($"{e.Message} after {sw.ElapsedMilliseconds} ms");
        Assert.Contains("more than 200,000 steps", e.Message);
        Assert.True(e.Line > 0);
    }

    [Theory]
    [InlineData("{% set ns = namespace(s='ab') %}{% for i in range(64) %}{% set ns.s = ns.s + ns.s %}{% endfor %}{{ ns.s }}")]
    [InlineData("{{ 'abc' * 1000000000000 }}")]
    [InlineData("{{ [1, 2] * 1000000000 }}")]
    [InlineData("{% set ns = namespace(l=[1]) %}{% for i in range(64) %}{% set ns.l = ns.l + ns.l %}{% endfor %}{{ ns.l | length }}")]
    [InlineData("{% set ns = namespace(s='aa') %}{% for i in range(40) %}{% set ns.s = ns.s.replace('a', ns.s) %}{% endfor %}")]
    [InlineData("{% for i in range(1000000) %}{% for j in range(1000000) %}0123456789abcdef{% endfor %}{% endfor %}")]
    public void Strings_and_lists_that_grow_without_end_stop_at_the_size_limit(string source)
    {
        var e = RenderError(source, TemplateLimits.Default with { MaxSteps = long.MaxValue, MaxOutputChars = 1 << 20 });
        output.WriteLine(e.Message);
        Assert.Contains("longer than", e.Message);
        Assert.True(e.Line > 0);
    }

    [Theory]
    [InlineData(100_000, "(", ")")]
    [InlineData(100_000, "[", "]")]
    [InlineData(100_000, "not ", "")]
    [InlineData(100_000, "- ", "")]
    public void Deeply_nested_expressions_are_refused_when_parsed(int n, string open, string close)
    {
        var src = "{{ " + string.Concat(Enumerable.Repeat(open, n)) + "1" + string.Concat(Enumerable.Repeat(close, n)) + " }}";
        var e = Assert.Throws<TemplateException>(() => ChatTemplate.Parse(src));
        Assert.Contains($"nests deeper than {TemplateLimits.MaxParseDepth} levels", e.Message);
    }

    [Fact]
    public void Deeply_nested_blocks_are_refused_when_parsed()
    {
        var src = string.Concat(Enumerable.Repeat("{% if true %}", 50_000)) + "x" + string.Concat(Enumerable.Repeat("{% endif %}", 50_000));
        var e = Assert.Throws<TemplateException>(() => ChatTemplate.Parse(src));
        Assert.Contains("nests deeper than", e.Message);
    }

    [Fact]
    public void A_long_chain_of_operators_is_an_error_not_a_stack_overflow()
    {
        // a left-deep tree: parsing loops, evaluating recurses once per '+'
        var e = RenderError("{{ 1" + string.Concat(Enumerable.Repeat(" + 1", 200_000)) + " }}");
        Assert.Contains("nests deeper than", e.Message);
    }

    [Fact]
    public void Real_templates_render_under_limits_ten_times_tighter_than_the_defaults()
    {
        var tight = new TemplateLimits { MaxDepth = 40, MaxSteps = 50_000, MaxOutputChars = 400_000 };
        var dir = JinjaOracle.FixturesDir;
        var rendered = 0;
        foreach (var casesPath in Directory.GetFiles(dir, "*.cases.json").Order())
        {
            var name = Path.GetFileName(casesPath)[..^".cases.json".Length];
            var src = name == "tiny" ? ChatTemplate.TinyPresetSource : File.ReadAllText(Path.Combine(dir, name + ".jinja"));
            var template = ChatTemplate.Parse(src).WithLimits(tight).WithClock(() => new DateTime(2024, 7, 26));
            foreach (var c in JsonNode.Parse(File.ReadAllText(casesPath))!.AsArray())
            {
                var t = template.WithSpecialTokens(c!["bos_token"]?.GetValue<string>(), c["eos_token"]?.GetValue<string>());
                var extra = new Dictionary<string, object?>();
                if (c["extra"] is JsonObject ex) foreach (var (k, v) in ex) extra[k] = v?.DeepClone();
                try { t.Render(c["messages"]!.AsArray(), c["add_generation_prompt"]!.GetValue<bool>(), extra); }
                catch (TemplateException e) when (e.RaisedMessage is not null) { } // the template's own raise_exception
                rendered++;
            }
        }
        output.WriteLine($"{rendered} fixture renderings fit MaxDepth {tight.MaxDepth}, MaxSteps {tight.MaxSteps:N0}, MaxOutputChars {tight.MaxOutputChars:N0}");
        Assert.Equal(73, rendered);
    }
}
