using System.Text.Json.Nodes;
using Toolkit.Core.Templates;

namespace Toolkit.Core.Tests.Templates;

/// <summary>
/// Behaviour the oracle comparison cannot cover because @huggingface/jinja departs from Python's jinja2 there
/// (which transformers uses): Python string methods with arguments, reject/equalto, tojson details, floats, scoping.
/// </summary>
public sealed class SemanticsTests
{
    static string R(string src, Dictionary<string, object?>? vars = null) =>
        ChatTemplate.Parse(src).Render(vars ?? new Dictionary<string, object?>());

    static Dictionary<string, object?> V(params (string, object?)[] kv) => kv.ToDictionary(p => p.Item1, p => p.Item2);

    [Fact]
    public void Strip_with_chars_strips_only_those_chars_as_python_does()
    {
        // Qwen3 calls reasoning_content.strip('\n'): spaces must survive (the oracle's strip ignores its argument)
        Assert.Equal("[ think ]", R("[{{ s.strip('\\n') }}]", V(("s", "\n\n think \n"))));
        Assert.Equal("[ab]", R("[{{ s.lstrip('x').rstrip('yz') }}]", V(("s", "xxabzyz"))));
    }

    [Fact]
    public void Split_and_replace_follow_python()
    {
        Assert.Equal("3|a|b|c d", R("{% set p = s.split(',', 2) %}{{ p | length }}|{{ p | join('|') }}", V(("s", "a,b,c d"))));
        Assert.Equal("2:x:y", R("{% set p = s.split() %}{{ p | length }}:{{ p | join(':') }}", V(("s", "  x \n y  "))));
        Assert.Equal("a-b_c", R("{{ s.replace('_', '-', 1) }}", V(("s", "a_b_c"))));
    }

    [Fact]
    public void Llama31_builtin_tools_use_reject_equalto_and_items()
    {
        var t = ChatTemplate.Parse(File.ReadAllText(Path.Combine(JinjaOracle.FixturesDir, "llama3.1-instruct.jinja")))
            .WithSpecialTokens("<|begin_of_text|>", "<|eot_id|>");
        var call = new JsonArray(new JsonObject
        {
            ["type"] = "function",
            ["function"] = new JsonObject { ["name"] = "brave_search", ["arguments"] = new JsonObject { ["query"] = "news", ["n"] = "3" } },
        });
        var text = t.Render([ChatMessage.User("Search."), new ChatMessage("assistant", null) { ToolCalls = call }], false,
            new Dictionary<string, object?> { ["builtin_tools"] = new[] { "brave_search", "code_interpreter", "wolfram_alpha" } });
        Assert.Contains("Environment: ipython\nTools: brave_search, wolfram_alpha\n\n", text);
        Assert.EndsWith("<|python_tag|>brave_search.call(query=\"news\", n=\"3\")<|eom_id|>", text);
    }

    [Fact]
    public void Tojson_is_python_json_dumps_with_ensure_ascii_false()
    {
        var v = V(("d", JsonNode.Parse("""{"b": [1, 2.0, 0.5, 1e-7, "é\n\"", null, true], "a": {}}""")));
        Assert.Equal("""{"b": [1, 2.0, 0.5, 1e-07, "é\n\"", null, true], "a": {}}""", R("{{ d | tojson }}", v));
        Assert.Equal("{\n  \"b\": [\n    1,\n    2.0", R("{{ (d | tojson(indent=2))[:25] }}", v));
        Assert.Equal("""{"a": {}, "b": [1, 2.0, 0.5, 1e-07, "\u00e9\n\"", null, true]}""", R("{{ d | tojson(sort_keys=true, ensure_ascii=true) }}", v));
        Assert.Equal("""[1,2]""", R("{{ [1, 2] | tojson(separators=(',', ':')) }}"));
    }

    [Fact]
    public void Floats_print_like_python()
    {
        Assert.Equal("2.5 0.0001 1e-05 1e+16 3.0 -0.5", R("{{ 10 / 4 }} {{ 0.0001 }} {{ x }} {{ y }} {{ 6 / 2 }} {{ -0.5 }}", V(("x", 1e-5), ("y", 1e16))));
        Assert.Equal("2 -1 -2 1", R("{{ 7 // 3 }} {{ -3 // 3 + 0 - 0 }} {{ -5 // 3 }} {{ -5 % 3 - 0 }}"));
    }

    [Fact]
    public void Set_inside_a_loop_does_not_leak_but_namespace_does()
    {
        Assert.Equal("0 3", R("{% set x = 0 %}{% set ns = namespace(y=0) %}{% for i in [1, 2, 3] %}{% set x = i %}{% set ns.y = i %}{% endfor %}{{ x }} {{ ns.y }}"));
        var e = Assert.Throws<TemplateException>(() => R("{% set d = {} %}{% set d.x = 1 %}"));
        Assert.Contains("only namespace() objects", e.Message);
    }

    [Fact]
    public void Loop_helpers_macros_and_for_else()
    {
        Assert.Equal("1a.b 2b.c 3c. ", R("{% for x in 'abc' %}{{ loop.index }}{{ x }}.{{ loop.nextitem or '' }} {% endfor %}"));
        Assert.Equal("none", R("{% for x in [] %}{{ x }}{% else %}none{% endfor %}"));
        Assert.Equal("<b>hi</b>|<i>yo</i>", R("{% macro tag(t, name='b') %}<{{ name }}>{{ t }}</{{ name }}>{% endmacro %}{{ tag('hi') }}|{{ tag('yo', name='i') }}"));
        Assert.Equal("x-y-x-", R("{% for i in range(3) %}{{ loop.cycle('x', 'y') }}-{% endfor %}"));
        Assert.Equal("[2, 4]", R("{{ [1, 2, 3, 4] | select('even') | list }}"));
        Assert.Equal("c,b,a", R("{{ ['a', 'b', 'c'][::-1] | join(',') }}"));
    }

    [Fact]
    public void Dict_equality_is_by_value_as_in_python()
    {
        // Mistral's template compares messages with ==; Python compares dicts by value
        Assert.Equal("true false", R("{{ {'a': 1, 'b': [1]} == {'b': [1], 'a': 1.0} }} {{ {'a': 1} == {'a': 2} }}"));
    }

    [Fact]
    public void Strftime_now_uses_the_injected_clock()
    {
        var t = ChatTemplate.Parse("{{ strftime_now('%d %b %Y, %A %H:%M') }}").WithClock(() => new DateTime(2025, 2, 3, 14, 5, 0));
        Assert.Equal("03 Feb 2025, Monday 14:05", t.Render(new Dictionary<string, object?>()));
    }

    [Fact]
    public void Chat_messages_keep_optional_fields_absent_when_null()
    {
        var t = ChatTemplate.Parse("{% for m in messages %}{{ m.role }}:{{ m.name is defined }}:{{ m.content }};{% endfor %}");
        Assert.Equal("user:false:hi;user:true:yo;", t.Render([ChatMessage.User("hi"), ChatMessage.User("yo") with { Name = "bob" }], false));
    }
}
