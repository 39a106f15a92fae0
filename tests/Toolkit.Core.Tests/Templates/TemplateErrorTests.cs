using Toolkit.Core.Templates;

namespace Toolkit.Core.Tests.Templates;

/// <summary>Unsupported or broken templates fail at parse time with the construct's name and line:column; render errors carry positions too.</summary>
public sealed class TemplateErrorTests
{
    static TemplateException ParseError(string src) => Assert.Throws<TemplateException>(() => ChatTemplate.Parse(src));

    [Fact]
    public void Unknown_filter_is_named_with_its_position()
    {
        var e = ParseError("line one\n{{ messages | frobnicate }}");
        Assert.Contains("unknown filter 'frobnicate'", e.Message);
        Assert.Equal((2, 15), (e.Line, e.Column));
        Assert.Contains("2:15", e.Message);
    }

    [Fact]
    public void Unsupported_tag_is_named_with_its_position()
    {
        var e = ParseError("{% if x %}\n  {% include 'other.jinja' %}\n{% endif %}");
        Assert.Contains("unsupported tag 'include'", e.Message);
        Assert.Equal((2, 6), (e.Line, e.Column));
    }

    [Fact]
    public void Unknown_test_and_unknown_tag_are_named()
    {
        var t = ParseError("{{ x is prime }}");
        Assert.Contains("unknown test 'prime'", t.Message);
        Assert.Equal((1, 9), (t.Line, t.Column));
        var g = ParseError("ab\n\n   {%- frob %}");
        Assert.Contains("unknown tag 'frob'", g.Message);
        Assert.Equal((3, 8), (g.Line, g.Column));
    }

    [Fact]
    public void Missing_end_tag_points_at_the_opening_tag()
    {
        var e = ParseError("x\n{% for m in messages %}{{ m }}");
        Assert.Contains("missing {% endfor %}", e.Message);
        Assert.Equal((2, 1), (e.Line, e.Column));
        var d = ParseError("{% if a %}b{% endfor %}");
        Assert.Contains("'{% endfor %}'", d.Message);
    }

    [Fact]
    public void Lexical_errors_have_positions()
    {
        var s = ParseError("{{ 'unterminated }}");
        Assert.Contains("unterminated string", s.Message);
        Assert.Equal((1, 4), (s.Line, s.Column));
        var c = ParseError("ok {# never closed");
        Assert.Contains("unclosed comment", c.Message);
        var ch = ParseError("{{ a ; b }}");
        Assert.Contains("unexpected character ';'", ch.Message);
        Assert.Equal((1, 6), (ch.Line, ch.Column));
    }

    [Fact]
    public void Raise_exception_carries_the_template_message_and_position()
    {
        var t = ChatTemplate.Parse("{% if messages | length == 0 %}\n  {{ raise_exception('No messages given!') }}\n{% endif %}");
        var e = Assert.Throws<TemplateException>(() => t.Render(new List<ChatMessage>(), false));
        Assert.Equal("No messages given!", e.RaisedMessage);
        Assert.StartsWith("No messages given!", e.Message);
        Assert.Equal(2, e.Line);
    }

    [Fact]
    public void Calling_an_undefined_method_is_a_render_error_but_reading_it_is_not()
    {
        var t = ChatTemplate.Parse("{{ messages[0].nothing.deeper }}|{{ messages[0].content.nosuch() }}");
        var e = Assert.Throws<TemplateException>(() => t.Render([ChatMessage.User("hi")], false));
        Assert.Contains("'nosuch' is undefined, so it cannot be called", e.Message);
        Assert.Equal((1, 57), (e.Line, e.Column)); // the method name
        Assert.Equal("|", ChatTemplate.Parse("{{ messages[0].nothing.deeper }}|").Render([ChatMessage.User("hi")], false));
    }

    [Fact]
    public void Errors_inside_filters_name_the_position()
    {
        var t = ChatTemplate.Parse("\n{{ messages | first | int + none }}");
        var e = Assert.Throws<TemplateException>(() => t.Render([ChatMessage.User("3")], false));
        Assert.Equal(2, e.Line);
        Assert.Null(e.RaisedMessage);
    }
}
