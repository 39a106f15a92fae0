using Toolkit.Evaluate.Questions;

namespace Toolkit.Evaluate.Judging;

/// <summary>
/// Judges verifiable turns by the question's own rule (<see cref="RuleCheck"/>: exact, numeric, regex, contains,
/// json, language, refusal). Single: 1 = pass, 0 = fail. Pairwise: the passing answer wins; both pass or both fail
/// is a tie (so both orders always agree). Turns without a rule are not judged. No model calls.
/// </summary>
public sealed class RuleJudge : IJudge
{
    /// <inheritdoc/>
    public string Name => "rule";

    /// <inheritdoc/>
    public string? TemplateFor(Question q, int turn, bool pairwise) => q.RuleFor(turn) is { } r ? RuleCheck.Parse(r).ToString() : null;

    /// <inheritdoc/>
    public Task<JudgeOutcome?> RateAsync(Question q, int turn, IReadOnlyList<string> answers, CancellationToken cancel = default)
    {
        if (q.RuleFor(turn) is not { } spec || turn > answers.Count) return Task.FromResult<JudgeOutcome?>(null);
        var rule = RuleCheck.Parse(spec);
        var pass = rule.Passes(answers[turn - 1]);
        return Task.FromResult<JudgeOutcome?>(new JudgeOutcome($"rule {rule}", pass ? "pass" : "fail", null, pass ? 1 : 0, rule.ToString()));
    }

    /// <inheritdoc/>
    public Task<JudgeOutcome?> CompareAsync(Question q, int turn, IReadOnlyList<string> answersA, IReadOnlyList<string> answersB, CancellationToken cancel = default)
    {
        if (q.RuleFor(turn) is not { } spec || turn > answersA.Count || turn > answersB.Count) return Task.FromResult<JudgeOutcome?>(null);
        var rule = RuleCheck.Parse(spec);
        bool a = rule.Passes(answersA[turn - 1]), b = rule.Passes(answersB[turn - 1]);
        var verdict = a == b ? Verdict.Tie : a ? Verdict.A : Verdict.B;
        var text = $"A {(a ? "pass" : "fail")}, B {(b ? "pass" : "fail")}: [[{(verdict == Verdict.Tie ? "C" : verdict.ToString())}]]";
        return Task.FromResult<JudgeOutcome?>(new JudgeOutcome($"rule {rule}", text, verdict, null, rule.ToString()));
    }
}
