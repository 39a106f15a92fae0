using Toolkit.Evaluate.Answers;
using Toolkit.Evaluate.Questions;

namespace Toolkit.Evaluate.Judging;

/// <summary>What a judging pass did: the judgments plus counts for the report.</summary>
/// <param name="Games">Judge outcomes needed (two per pairwise match, one per single rating).</param>
/// <param name="CacheHits">Of those, how many came from the cache (no call).</param>
/// <param name="Errors">Outcomes that are judge errors (no parsable verdict, or the call failed).</param>
public sealed record JudgingCounts(int Games, int CacheHits, int Errors)
{
    /// <summary>Outcomes the judge was asked for in this run.</summary>
    public int Judged => Games - CacheHits;
}

/// <summary>
/// Runs a judge over answer files, in FastChat's match layout:
/// 1) matches: every question answered by both models (pairwise) or by the model (single), every turn the judge applies to;
/// 2) pairwise: game 1 shows model_1 as A, game 2 shows model_2 as A (position swap), each mapped back to model terms;
/// 3) every outcome goes through the <see cref="JudgmentCache"/> when one is given (key: judge, template, question, turn, answers in order);
/// 4) up to <paramref name="concurrency"/> outcomes are asked at once; results come back sorted by question and turn.
/// </summary>
public sealed class JudgingRun(IJudge judge, JudgmentCache? cache, int concurrency = 4)
{
    int _games, _hits, _errors;

    /// <summary>Counts since this run was made.</summary>
    public JudgingCounts Counts => new(_games, _hits, _errors);

    /// <summary>Pairwise judgments of <paramref name="model1"/> against <paramref name="model2"/> over <paramref name="questions"/>.</summary>
    public async Task<List<PairJudgment>> PairwiseAsync(IReadOnlyList<Question> questions, IReadOnlyDictionary<string, AnswerRecord> answers1, string model1,
        IReadOnlyDictionary<string, AnswerRecord> answers2, string model2, Action? progress = null, CancellationToken cancel = default)
    {
        var matches = new List<(Question Q, int Turn, IReadOnlyList<string> A1, IReadOnlyList<string> A2, int Index)>();
        foreach (var q in questions)
        {
            if (!answers1.TryGetValue(q.Id, out var r1) || !answers2.TryGetValue(q.Id, out var r2)) continue;
            for (var turn = 1; turn <= Math.Min(q.Turns.Count, Math.Min(r1.Turns.Count, r2.Turns.Count)); turn++)
                if (judge.TemplateFor(q, turn, pairwise: true) is not null) matches.Add((q, turn, r1.Turns, r2.Turns, matches.Count));
        }
        var results = new (JudgeOutcome G1, JudgeOutcome G2)[matches.Count];
        await Parallel.ForEachAsync(matches, new ParallelOptions { MaxDegreeOfParallelism = concurrency, CancellationToken = cancel }, async (m, ct) =>
        {
            var g1 = await OutcomeAsync(m.Q, m.Turn, m.A1, m.A2, true, ct);
            var g2 = await OutcomeAsync(m.Q, m.Turn, m.A2, m.A1, true, ct);
            results[m.Index] = (g1, g2);
            progress?.Invoke();
        });
        var now = SingleJudgment.Now();
        return matches.Select(m =>
        {
            var (g1, g2) = results[m.Index];
            return new PairJudgment(m.Q.Id, m.Q.Category, m.Turn, model1, model2, Map(g1.Verdict, firstIsModel1: true), Map(g2.Verdict, firstIsModel1: false),
                judge.Name, g1.Template, g1.UserPrompt, g1.Judgment, g2.UserPrompt, g2.Judgment, m.A1[m.Turn - 1].Length, m.A2[m.Turn - 1].Length, now);
        }).ToList();
    }

    /// <summary>Single-answer ratings of <paramref name="model"/> over <paramref name="questions"/>.</summary>
    public async Task<List<SingleJudgment>> SingleAsync(IReadOnlyList<Question> questions, IReadOnlyDictionary<string, AnswerRecord> answers, string model,
        Action? progress = null, CancellationToken cancel = default)
    {
        var matches = new List<(Question Q, int Turn, IReadOnlyList<string> A, int Index)>();
        foreach (var q in questions)
        {
            if (!answers.TryGetValue(q.Id, out var r)) continue;
            for (var turn = 1; turn <= Math.Min(q.Turns.Count, r.Turns.Count); turn++)
                if (judge.TemplateFor(q, turn, pairwise: false) is not null) matches.Add((q, turn, r.Turns, matches.Count));
        }
        var results = new JudgeOutcome[matches.Count];
        await Parallel.ForEachAsync(matches, new ParallelOptions { MaxDegreeOfParallelism = concurrency, CancellationToken = cancel }, async (m, ct) =>
        {
            results[m.Index] = await OutcomeAsync(m.Q, m.Turn, m.A, null, false, ct);
            progress?.Invoke();
        });
        var now = SingleJudgment.Now();
        return matches.Select(m => new SingleJudgment(m.Q.Id, m.Q.Category, m.Turn, model, judge.Name, results[m.Index].Template,
            results[m.Index].UserPrompt, results[m.Index].Judgment, results[m.Index].Score ?? -1, now)).ToList();
    }

    async Task<JudgeOutcome> OutcomeAsync(Question q, int turn, IReadOnlyList<string> a, IReadOnlyList<string>? b, bool pairwise, CancellationToken ct)
    {
        Interlocked.Increment(ref _games);
        var template = judge.TemplateFor(q, turn, pairwise)!;
        var key = JudgmentCache.Key(judge.Name, template, q.ToJson().ToJsonString(), turn.ToString(System.Globalization.CultureInfo.InvariantCulture),
            pairwise ? "pairwise" : "single", string.Join("\u241E", a.Take(turn)), b is null ? "" : string.Join("\u241E", b.Take(turn)));
        if (cache?.Get(key) is { } hit)
        {
            Interlocked.Increment(ref _hits);
            return hit;
        }
        var outcome = (pairwise ? await judge.CompareAsync(q, turn, a, b!, ct) : await judge.RateAsync(q, turn, a, ct))
            ?? throw new InvalidOperationException($"judge {judge.Name} declined question {q.Id} turn {turn} after naming a template for it");
        if (outcome.IsError) Interlocked.Increment(ref _errors);
        cache?.Put(key, outcome);
        return outcome;
    }

    /// <summary>A/B → model terms: game 1 shows model_1 as A, game 2 shows model_2 as A.</summary>
    static Winner Map(Verdict? v, bool firstIsModel1) => v switch
    {
        Verdict.A => firstIsModel1 ? Winner.Model1 : Winner.Model2,
        Verdict.B => firstIsModel1 ? Winner.Model2 : Winner.Model1,
        Verdict.Tie => Winner.Tie,
        _ => Winner.Error,
    };
}
