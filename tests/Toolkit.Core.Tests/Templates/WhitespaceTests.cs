using Toolkit.Core.Templates;

namespace Toolkit.Core.Tests.Templates;

/// <summary>
/// Whitespace control as transformers configures jinja2: trim_blocks and lstrip_blocks on, one trailing newline
/// dropped, and the '-' modifiers on every kind of tag.
/// </summary>
public sealed class WhitespaceTests
{
    static string R(string src, Dictionary<string, object?>? vars = null) =>
        ChatTemplate.Parse(src).Render(vars ?? new Dictionary<string, object?>());

    [Fact]
    public void Block_tags_on_their_own_lines_leave_no_blank_lines()
    {
        // lstrip_blocks removes the indentation before {% ... %}, trim_blocks the newline after it
        var src = "<a>\n    {% if true %}\n    body\n    {% endif %}\n</a>\n";
        Assert.Equal("<a>\n    body\n</a>", R(src));
    }

    [Fact]
    public void Expression_tags_are_not_trimmed_but_minus_strips_both_sides()
    {
        Assert.Equal("a\n  1\nb", R("a\n  {{ 1 }}\nb"));
        Assert.Equal("a1b", R("a\n  {{- 1 -}}\n  b"));
        Assert.Equal("a  1b", R("a  {{ 1 -}}  \n b"));
    }

    [Fact]
    public void Minus_on_statements_and_comments_strips_all_whitespace_including_newlines()
    {
        Assert.Equal("xy", R("x  \n\n {%- if true -%} \n\n y {%- endif %}"));
        Assert.Equal("xy", R("x \n {#- a comment -#} \n y"));
        Assert.Equal("x\ny", R("x\n{# a comment #}\ny"));
    }

    [Fact]
    public void Plus_opts_out_of_lstrip_blocks()
    {
        Assert.Equal("  x", R("  {%+ if true %}x{% endif %}"));
        Assert.Equal("x", R("  {% if true %}x{% endif %}"));
    }

    [Fact]
    public void Generation_tags_render_their_body_and_honor_minus()
    {
        // trim_blocks eats the newline after {% endgeneration %}, and the last one is dropped
        Assert.Equal("A: hi", R("A: {% generation %}hi{% endgeneration %}\n\n"));
        Assert.Equal("A: hi\nB", R("A: {% generation %}hi{% endgeneration %}\n\nB"));
        Assert.Equal("A:hi", R("A:  {%- generation -%}  hi  {%- endgeneration -%}  "));
    }

    [Fact]
    public void Only_one_trailing_newline_is_dropped()
    {
        Assert.Equal("x\n", R("x\n\n"));
        Assert.Equal("x", R("x\n"));
    }
}
