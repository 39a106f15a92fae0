using Toolkit.Evaluate.Answers;
using Toolkit.Evaluate.Questions;

namespace Toolkit.Evaluate.Judging.Distill;

/// <summary>
/// Measures a judge against the rule judge on matches (<see cref="JudgeAgreement"/>):
/// 1) sample: (question, model pair) groups in a seeded order until <c>maxPairs</c> matches are reached;
/// 2) judge: per model pair, the existing <see cref="JudgingRun.PairwiseAsync"/> (both orders, mapped back to model
///    terms), over the answers cut as in training, restricted to the ruled turns;
/// 3) reference: the rule judge on the full answers (order-independent), in model terms.
/// </summary>
public static class JudgeAgreementRun
{
    /// <summary>Runs <paramref name="judge"/> on a sample of <paramref name="matches"/>; rows come back in match order.</summary>
    public static async Task<List<(PairJudgment Judged, Winner Reference)>> RunAsync(IJudge judge, IReadOnlyList<JudgeMatch> matches, int maxAnswerChars,
        int maxPairs, int seed, int concurrency, Action? progress = null, CancellationToken cancel = default)
    {
        var sample = Sample(matches, maxPairs, seed);
        var result = new List<(PairJudgment, Winner)>();
        foreach (var pair in sample.GroupBy(m => (m.Model1, m.Model2)))
        {
            var questions = pair.Select(m => m.Question).DistinctBy(q => q.Id).ToList();
            Dictionary<string, AnswerRecord> Answers(Func<JudgeMatch, IReadOnlyList<string>> turns, string model) => pair.DistinctBy(m => m.Question.Id)
                .ToDictionary(m => m.Question.Id, m => new AnswerRecord(m.Question.Id, "", model, JudgeDistillData.CutTurns(turns(m), maxAnswerChars), 0));
            var run = new JudgingRun(new RuledTurnsOnly(judge), cache: null, concurrency);
            var rows = await run.PairwiseAsync(questions, Answers(m => m.Answers1, pair.Key.Model1), pair.Key.Model1,
                Answers(m => m.Answers2, pair.Key.Model2), pair.Key.Model2, progress, cancel);
            var byKey = pair.ToDictionary(m => (m.Question.Id, m.Turn));
            foreach (var row in rows)
                if (byKey.TryGetValue((row.QuestionId, row.Turn), out var m)) result.Add((row, await ReferenceAsync(m)));
        }
        return result;
    }

    /// <summary>The matches judged: whole (question, model pair) groups in <c>new Random(seed)</c> order, while the total stays within <paramref name="maxPairs"/> (at least one group).</summary>
    public static List<JudgeMatch> Sample(IReadOnlyList<JudgeMatch> matches, int maxPairs, int seed)
    {
        var groups = matches.Select((m, i) => (m, i)).GroupBy(x => (x.m.Question.Id, x.m.Model1, x.m.Model2)).Select(g => g.ToList()).ToArray();
        new Random(seed).Shuffle(groups);
        var taken = new List<(JudgeMatch m, int i)>();
        foreach (var g in groups)
        {
            if (taken.Count > 0 && taken.Count + g.Count > maxPairs) continue;
            taken.AddRange(g);
        }
        return [.. taken.OrderBy(x => x.i).Select(x => x.m)];
    }

    /// <summary>The rule judge's verdict on the full answers, model_1 shown first, in model terms.</summary>
    public static async Task<Winner> ReferenceAsync(JudgeMatch m)
    {
        var o = await new RuleJudge().CompareAsync(m.Question, m.Turn, m.Answers1, m.Answers2)
            ?? throw new InvalidOperationException($"question {m.Question.Id} turn {m.Turn}: no rule");
        return o.Verdict switch { Verdict.A => Winner.Model1, Verdict.B => Winner.Model2, _ => Winner.Tie };
    }

    /// <summary>A judge restricted to the turns the rule judge can check, so both judges see the same matches.</summary>
    sealed class RuledTurnsOnly(IJudge inner) : IJudge
    {
        public string Name => inner.Name;

        public string? TemplateFor(Question q, int turn, bool pairwise) => q.RuleFor(turn) is null ? null : inner.TemplateFor(q, turn, pairwise);

        public Task<JudgeOutcome?> RateAsync(Question q, int turn, IReadOnlyList<string> answers, CancellationToken cancel = default) =>
            inner.RateAsync(q, turn, answers, cancel);

        public Task<JudgeOutcome?> CompareAsync(Question q, int turn, IReadOnlyList<string> answersA, IReadOnlyList<string> answersB, CancellationToken cancel = default) =>
            inner.CompareAsync(q, turn, answersA, answersB, cancel);
    }
}
