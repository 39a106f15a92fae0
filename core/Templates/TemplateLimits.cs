namespace Toolkit.Core.Templates;

/// <summary>
/// Bounds on what one chat template may do. Templates arrive with downloaded model folders, so they are untrusted
/// input: without these a self-calling macro overflows the stack (which .NET cannot catch), a nested loop runs for
/// ever, and <c>{% set s = s + s %}</c> in a loop fills the memory. Breaking a limit throws a
/// <see cref="TemplateException"/> at the template line that broke it; the process goes on.
/// The defaults are far above what real chat templates need: the 73 oracle renderings in the tests (Qwen3, Llama 3 /
/// 3.1 / 3.2-vision, Gemma 3, Mistral v0.3, Phi-3, ChatML and feature templates) all render under limits ten times
/// tighter (<c>TemplateLimitTests.Real_templates_render_under_limits_ten_times_tighter_than_the_defaults</c>).
/// </summary>
public sealed record TemplateLimits
{
    /// <summary>The limits every render uses unless it is given others.</summary>
    public static TemplateLimits Default { get; } = new();

    /// <summary>
    /// Deepest nesting of evaluation while rendering: each statement, expression and macro call inside another adds
    /// one level (a macro calling itself adds about two per call). Default 400; range 16..4000. A deeper render stops
    /// with "nested deeper than N levels". Separately, rendering stops with the same error whenever the thread's
    /// stack runs low, so no template can overflow the stack even on a thread with a small one.
    /// </summary>
    public int MaxDepth { get; init; } = 400;

    /// <summary>
    /// Work budget: statements rendered + expressions evaluated + loop iterations, over one render. Default
    /// 5,000,000 (a few seconds at most: 20,000,000 took 19 s on a 2-core EPYC at load average 51); range
    /// 1,000..long.MaxValue. A render over budget stops with "used more than N steps".
    /// </summary>
    public long MaxSteps { get; init; } = 5_000_000;

    /// <summary>
    /// Longest string (the rendering itself or any value made on the way), and the most items in any list, in
    /// UTF-16 chars / items. Default 8,388,608 (8 Mi chars, 16 MB); range 1,024..int.MaxValue / 2. A larger one
    /// stops with "would be longer than N".
    /// </summary>
    public int MaxOutputChars { get; init; } = 8 * 1024 * 1024;

    /// <summary>Deepest nesting the parser accepts (brackets, unary operators, blocks inside blocks). Fixed: 200.</summary>
    public const int MaxParseDepth = 200;
}
