namespace Toolkit.Evaluate.Judging;

/// <summary>A pairwise verdict in the order the judge saw the answers: A (first shown), B (second shown), a tie, or a judge error (no parsable label).</summary>
public enum Verdict
{
    /// <summary>The first-shown answer is better ("[[A]]").</summary>
    A,
    /// <summary>The second-shown answer is better ("[[B]]").</summary>
    B,
    /// <summary>Equally good ("[[C]]", FastChat's tie label).</summary>
    Tie,
    /// <summary>No verdict could be parsed, or the judge failed: counted and reported, never scored as a loss.</summary>
    Error,
}

/// <summary>A judge's raw reply and what was parsed from it.</summary>
/// <param name="UserPrompt">The user message sent to the judge (the filled template).</param>
/// <param name="Judgment">The judge's full reply (both replies, separated, when the one retry was used).</param>
/// <param name="Verdict">Pairwise: the parsed verdict; null for single ratings.</param>
/// <param name="Score">Single: the parsed rating (1..10 for LLM judges, 1 = pass / 0 = fail for rule judges), −1 for an error (FastChat's convention); null for pairwise.</param>
/// <param name="Template">The judge prompt's name (e.g. pair-v2, single-math-v1-multi-turn) or the rule (e.g. numeric:24).</param>
public sealed record JudgeOutcome(string UserPrompt, string Judgment, Verdict? Verdict, double? Score, string Template)
{
    /// <summary>True when the judge gave no usable verdict.</summary>
    public bool IsError => Verdict == Judging.Verdict.Error || Score < 0;
}
