using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Toolkit.Evaluate.Judging;

/// <summary>The kinds of rule check a question turn can carry.</summary>
public enum RuleKind
{
    /// <summary>exact:TEXT: the answer, trimmed and without a final period, equals TEXT (case-insensitive).</summary>
    Exact,
    /// <summary>numeric:X: the last number in the answer equals X (within 1e-6 relative).</summary>
    Numeric,
    /// <summary>regex:PATTERN: the .NET regular expression matches somewhere in the answer.</summary>
    Regex,
    /// <summary>contains:TEXT: the answer contains TEXT (case-insensitive).</summary>
    Contains,
    /// <summary>json: the answer (or its first ```json fenced block, or its first {…} / […] span) parses as JSON.</summary>
    Json,
    /// <summary>language:en|zh: the answer's letters are mostly Latin (en) or mostly CJK (zh).</summary>
    Language,
    /// <summary>refusal: the answer declines (English or Chinese refusal phrases).</summary>
    Refusal,
}

/// <summary>
/// One verifiable check on an answer, written "kind:argument" in a question's <c>rules</c> list (see <see cref="RuleKind"/>),
/// e.g. <c>numeric:24</c>, <c>contains:Paris</c>, <c>regex:^\d+$</c>, <c>json</c>, <c>language:zh</c>, <c>refusal</c>.
/// </summary>
public sealed record RuleCheck(RuleKind Kind, string Argument)
{
    static readonly string[] RefusalPhrases =
    [
        "i can't", "i cannot", "i can not", "i won't", "i will not", "i'm not able", "i am not able", "i'm unable", "i am unable",
        "sorry", "not appropriate", "can't help", "cannot help", "不能", "无法", "抱歉", "对不起", "不可以", "不会帮", "拒绝",
    ];

    /// <summary>Parses <paramref name="spec"/>; returns an error message (what is wrong and what to write), or null on success.</summary>
    public static string? TryParse(string spec, out RuleCheck? rule)
    {
        rule = null;
        var colon = spec.IndexOf(':');
        var name = (colon < 0 ? spec : spec[..colon]).Trim().ToLowerInvariant();
        var arg = colon < 0 ? "" : spec[(colon + 1)..];
        RuleKind? kind = name switch
        {
            "exact" => RuleKind.Exact, "numeric" => RuleKind.Numeric, "regex" => RuleKind.Regex, "contains" => RuleKind.Contains,
            "json" => RuleKind.Json, "language" => RuleKind.Language, "refusal" => RuleKind.Refusal, _ => null,
        };
        if (kind is null) return $"unknown rule \"{spec}\". HINT: one of exact:TEXT, numeric:X, regex:PATTERN, contains:TEXT, json, language:en|zh, refusal";
        if (kind is RuleKind.Exact or RuleKind.Contains or RuleKind.Regex && arg.Length == 0) return $"rule \"{spec}\" needs an argument after ':'";
        if (kind == RuleKind.Numeric && !double.TryParse(arg, NumberStyles.Float, CultureInfo.InvariantCulture, out _)) return $"rule \"{spec}\": \"{arg}\" is not a number";
        if (kind == RuleKind.Language && arg is not ("en" or "zh")) return $"rule \"{spec}\": language must be en or zh";
        if (kind == RuleKind.Regex)
        {
            try { _ = new Regex(arg); }
            catch (ArgumentException e) { return $"rule \"{spec}\": bad regular expression ({e.Message})"; }
        }
        rule = new RuleCheck(kind.Value, arg);
        return null;
    }

    /// <summary>Parses <paramref name="spec"/> or throws <see cref="FormatException"/> with the reason.</summary>
    public static RuleCheck Parse(string spec) => TryParse(spec, out var r) is { } err ? throw new FormatException(err) : r!;

    /// <summary>True when <paramref name="answer"/> passes.</summary>
    public bool Passes(string answer)
    {
        var a = answer.Trim();
        switch (Kind)
        {
            case RuleKind.Exact: return string.Equals(a.TrimEnd('.', '。', '!', '！'), Argument.Trim(), StringComparison.OrdinalIgnoreCase);
            case RuleKind.Contains: return a.Contains(Argument, StringComparison.OrdinalIgnoreCase);
            case RuleKind.Regex: return System.Text.RegularExpressions.Regex.IsMatch(a, Argument, RegexOptions.None, TimeSpan.FromSeconds(1));
            case RuleKind.Numeric:
            {
                var nums = System.Text.RegularExpressions.Regex.Matches(a.Replace(",", ""), @"-?\d+(?:\.\d+)?");
                if (nums.Count == 0) return false;
                var got = double.Parse(nums[^1].Value, CultureInfo.InvariantCulture);
                var want = double.Parse(Argument, CultureInfo.InvariantCulture);
                return Math.Abs(got - want) <= 1e-6 * Math.Max(1, Math.Abs(want));
            }
            case RuleKind.Json: return JsonCandidates(a).Any(IsJson);
            case RuleKind.Language:
            {
                int cjk = 0, latin = 0;
                foreach (var c in a)
                {
                    if (c is >= '\u4e00' and <= '\u9fff' or >= '\u3400' and <= '\u4dbf') cjk++;
                    else if (c is >= 'a' and <= 'z' or >= 'A' and <= 'Z') latin++;
                }
                if (cjk + latin == 0) return false;
                // Chinese characters carry ~3 Latin letters' worth of text each; compare weighted shares.
                var zhShare = 3.0 * cjk / (3.0 * cjk + latin);
                return Argument == "zh" ? zhShare >= 0.5 : zhShare < 0.2;
            }
            case RuleKind.Refusal:
            {
                var lower = a.ToLowerInvariant();
                return RefusalPhrases.Any(p => lower.Contains(p, StringComparison.Ordinal));
            }
            default: throw new InvalidOperationException(Kind.ToString());
        }
    }

    /// <summary>The rule as written in a question file.</summary>
    public override string ToString() => Argument.Length == 0 ? Kind.ToString().ToLowerInvariant() : $"{Kind.ToString().ToLowerInvariant()}:{Argument}";

    static IEnumerable<string> JsonCandidates(string a)
    {
        yield return a;
        var fence = System.Text.RegularExpressions.Regex.Match(a, @"```(?:json)?\s*\n(.*?)```", RegexOptions.Singleline);
        if (fence.Success) yield return fence.Groups[1].Value;
        var open = a.IndexOfAny(['{', '[']);
        var close = a.LastIndexOfAny(['}', ']']);
        if (open >= 0 && close > open) yield return a[open..(close + 1)];
    }

    static bool IsJson(string s)
    {
        try { using var _ = JsonDocument.Parse(s); return true; }
        catch (JsonException) { return false; }
    }
}
