using Toolkit.Evaluate.Questions;

namespace Toolkit.Evaluate.Judging;

/// <summary>
/// A judge: rates one model's answer to one question turn, or compares two models' answers in one presentation order.
/// Rule judges and LLM judges both implement it; <see cref="JudgingRun"/> adds both orders, caching and concurrency.
/// A judge returns null where it does not apply (a rule judge on a turn without a rule, an LLM judge on turn 3+).
/// </summary>
public interface IJudge
{
    /// <summary>The judge's name, first element of FastChat's <c>judge</c> field (e.g. the judge model's name, or "rule").</summary>
    string Name { get; }

    /// <summary>The identity of what decides the match (prompt name + system prompt + template, or the rule): part of the cache key. Null where the judge does not apply.</summary>
    string? TemplateFor(Question q, int turn, bool pairwise);

    /// <summary>Rates <paramref name="answers"/>[turn−1] (turn is 1-based; earlier turns are context).</summary>
    Task<JudgeOutcome?> RateAsync(Question q, int turn, IReadOnlyList<string> answers, CancellationToken cancel = default);

    /// <summary>Compares assistant A's and assistant B's answers to turn <paramref name="turn"/>, A shown first.</summary>
    Task<JudgeOutcome?> CompareAsync(Question q, int turn, IReadOnlyList<string> answersA, IReadOnlyList<string> answersB, CancellationToken cancel = default);
}
