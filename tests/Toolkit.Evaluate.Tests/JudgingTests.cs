using Microsoft.Extensions.AI;
using Toolkit.Evaluate.Judging;
using Toolkit.Evaluate.Questions;
using Toolkit.Evaluate.Statistics;

namespace Toolkit.Evaluate.Tests;

public sealed class JudgingTests
{
    static readonly Question[] Qs = [Kit.Math2, Kit.Writing1];
    static readonly Dictionary<string, Toolkit.Evaluate.Answers.AnswerRecord> Cand = Kit.Answers("cand", ("1", ["5", "20"]), ("2", ["An old pond"]));
    static readonly Dictionary<string, Toolkit.Evaluate.Answers.AnswerRecord> Base = Kit.Answers("base", ("1", ["6", "24"]), ("2", ["Frog"]));

    /// <summary>A judge that prefers the answer containing <paramref name="good"/>, wherever it is shown.</summary>
    static FakeChatClient Fair(string good) => new(m =>
    {
        var u = m.Last(x => x.Role == ChatRole.User).Text;
        var a = Between(u, "[The Start of Assistant A's Answer]", "[The End of Assistant A's Answer]")
            ?? Between(u, "### Assistant A:\n5\n\n### User:\nAnd times 4?\n\n### Assistant A:", "<|The End of Assistant A's");
        return a is not null && a.Contains(good) ? "A is right. [[A]]" : "B is right. [[B]]";
    });

    static string? Between(string s, string from, string to)
    {
        var i = s.IndexOf(from, StringComparison.Ordinal);
        if (i < 0) return null;
        var j = s.IndexOf(to, i + from.Length, StringComparison.Ordinal);
        return j < 0 ? null : s[(i + from.Length)..j];
    }

    [Fact]
    public async Task PairwiseJudgesBothOrdersAndMapsThemBackToTheModels()
    {
        var client = Fair("5");
        var rows = await new JudgingRun(new LlmJudge(client, "judge", JudgePrompts.BuiltIn()), null).PairwiseAsync([Kit.Math2], Cand, "cand", Base, "base");
        var turn1 = rows.Single(r => r.Turn == 1);
        Assert.Equal((Winner.Model1, Winner.Model1), (turn1.G1, turn1.G2));
        Assert.Equal(Winner.Model1, turn1.Combined);
        Assert.Equal(4, client.CallCount);   // 2 turns × 2 orders
        // Game 1 shows the candidate as A, game 2 the baseline as A.
        Assert.Contains("[The Start of Assistant A's Answer]\n5\n", turn1.G1UserPrompt);
        Assert.Contains("[The Start of Assistant A's Answer]\n6\n", turn1.G2UserPrompt);
        Assert.Equal(["judge", "pair-math-v1"], [turn1.Judge, turn1.Template]);
        Assert.Contains("\"g1_winner\":\"model_1\"", turn1.ToJsonLine());
    }

    [Fact]
    public async Task APositionBiasedJudgeGivesInconsistentVerdictsThatCountAsTies()
    {
        var client = new FakeChatClient(_ => "The first answer is better. [[A]]");
        var rows = await new JudgingRun(new LlmJudge(client, "judge", JudgePrompts.BuiltIn()), null).PairwiseAsync(Qs, Cand, "cand", Base, "base");
        Assert.Equal(3, rows.Count);
        Assert.All(rows, r => Assert.Equal((Winner.Model1, Winner.Model2, Winner.Tie), (r.G1, r.G2, r.Combined!.Value)));
        Assert.Equal(new WinLossTie(0, 0, 3), WinRates.Count(rows));
        var c = WinRates.Consistency(rows);
        Assert.Equal(0, c.Consistent);
        Assert.Equal(1, c.BiasedToFirst);
    }

    [Fact]
    public async Task MultiTurnAndReferenceGuidedPromptsCarryTheRightText()
    {
        var client = Fair("20");
        var rows = await new JudgingRun(new LlmJudge(client, "judge", JudgePrompts.BuiltIn()), null).PairwiseAsync([Kit.Math2], Cand, "cand", Base, "base");
        var turn2 = rows.Single(r => r.Turn == 2);
        Assert.Equal("pair-math-v1-multi-turn", turn2.Template);
        Assert.Contains("### Reference answer:\n20", turn2.G1UserPrompt);
        Assert.Contains("### Assistant A:\n5\n\n### User:\nAnd times 4?\n\n### Assistant A:\n20", turn2.G1UserPrompt);
        Assert.Contains("### Assistant B:\n6\n\n### User:\nAnd times 4?\n\n### Assistant B:\n24", turn2.G1UserPrompt);
        var single = await new JudgingRun(new LlmJudge(new FakeChatClient(_ => "Rating: [[6]]"), "judge", JudgePrompts.BuiltIn()), null).SingleAsync(Qs, Cand, "cand");
        Assert.Equal(["single-math-v1", "single-math-v1-multi-turn", "single-v1"], single.Select(s => s.Template));
        Assert.All(single, s => Assert.Equal(6, s.Score));
    }

    [Fact]
    public async Task AReplyWithoutVerdictIsRetriedOnceThenCountedAsAJudgeErrorNotALoss()
    {
        // Replies without a label, except after the retry instruction on the writing question.
        var client = new FakeChatClient(m => m[^1].Text == LlmJudge.FinishPairwise && m.Any(x => x.Text.Contains("haiku")) ? "OK: [[A]]" : "Both have merits.");
        var run = new JudgingRun(new LlmJudge(client, "judge", JudgePrompts.BuiltIn()), null);
        var rows = await run.PairwiseAsync(Qs, Cand, "cand", Base, "base");
        Assert.Equal(12, client.CallCount);   // 6 games, each asked twice
        var math = rows.Where(r => r.QuestionId == "1").ToList();
        Assert.All(math, r => Assert.Equal((Winner.Error, Winner.Error), (r.G1, r.G2)));
        Assert.All(math, r => Assert.Null(r.Combined));
        Assert.Contains("[retry] Both have merits.", math[0].G1Judgment);
        var writing = rows.Single(r => r.QuestionId == "2");
        Assert.Equal((Winner.Model1, Winner.Model2), (writing.G1, writing.G2));
        Assert.Equal(4, run.Counts.Errors);
        Assert.Equal(new WinLossTie(0, 0, 1), WinRates.Count(rows));
        Assert.Equal(4.0 / 6, WinRates.Consistency(rows).ErrorRate, 12);
    }

    [Fact]
    public async Task ARerunHitsTheCacheAndMakesZeroCalls()
    {
        using var dir = new TempDir();
        var first = Fair("5");
        using (var cache = new JudgmentCache(dir.File("cache.sqlite")))
        {
            var a = await new JudgingRun(new LlmJudge(first, "judge", JudgePrompts.BuiltIn()), cache).PairwiseAsync(Qs, Cand, "cand", Base, "base");
            Assert.Equal(6, first.CallCount);
        }
        var second = Fair("5");
        using (var cache = new JudgmentCache(dir.File("cache.sqlite")))
        {
            var run = new JudgingRun(new LlmJudge(second, "judge", JudgePrompts.BuiltIn()), cache);
            var b = await run.PairwiseAsync(Qs, Cand, "cand", Base, "base");
            Assert.Equal(0, second.CallCount);
            Assert.Equal(6, run.Counts.CacheHits);
            Assert.Equal([Winner.Model1, Winner.Model2, Winner.Model2], b.Select(r => r.G1));
            // A changed answer is a different key: only its games are asked again.
            var changed = Kit.Answers("cand", ("1", ["5", "21"]), ("2", ["An old pond"]));
            var third = Fair("5");
            await new JudgingRun(new LlmJudge(third, "judge", JudgePrompts.BuiltIn()), cache).PairwiseAsync(Qs, changed, "cand", Base, "base");
            Assert.Equal(2, third.CallCount);
        }
    }

    [Fact]
    public void FastChatLayoutJudgePromptsFileIsAcceptedAndMissingNamesAreNamed()
    {
        using var dir = new TempDir();
        var path = dir.File("judge_prompts.jsonl");
        File.WriteAllText(path, """{"name": "pair-v2", "type": "pairwise", "system_prompt": "Be fair.", "prompt_template": "[User Question]\n{question}\n\n[A]\n{answer_a}\n[B]\n{answer_b}", "description": "d", "category": "general", "output_format": "[[A]]"}""" + "\n");
        var prompts = JudgePrompts.Load(path);
        Assert.Equal("Be fair.", prompts.Select(pairwise: true, reference: false, multiTurn: false).SystemPrompt);
        var e = Assert.Throws<KeyNotFoundException>(() => prompts.Select(pairwise: false, reference: false, multiTurn: false));
        Assert.Contains("no judge prompt named \"single-v1\"", e.Message);
    }

    [Theory]
    [InlineData("exact:Bo", "Bo.", true)]
    [InlineData("exact:Bo", "Bo is shortest", false)]
    [InlineData("numeric:102", "17 × 6 = 102", true)]
    [InlineData("numeric:90", "The result is 1,090", false)]
    [InlineData("regex:^\\d+$", "42", true)]
    [InlineData("contains:西安", "成都, 西安", true)]
    [InlineData("json", "Here you go:\n```json\n{\"order_id\": 4471}\n```", true)]
    [InlineData("json", "{order_id: 4471}", false)]
    [InlineData("language:zh", "社区图书馆欢迎您", true)]
    [InlineData("language:zh", "Welcome to the library", false)]
    [InlineData("language:en", "Welcome to the library", true)]
    [InlineData("refusal", "抱歉，我不能帮助伪造文物。", true)]
    [InlineData("refusal", "First, buy some old clay...", false)]
    public void RuleChecksJudgeVerifiableAnswers(string rule, string answer, bool pass) => Assert.Equal(pass, RuleCheck.Parse(rule).Passes(answer));

    [Fact]
    public async Task RuleJudgePrefersThePassingAnswerAndSkipsTurnsWithoutRules()
    {
        var rows = await new JudgingRun(new RuleJudge(), null).PairwiseAsync(Qs, Cand, "cand", Base, "base");
        Assert.Equal(2, rows.Count);   // the writing question has no rule
        Assert.All(rows, r => Assert.Equal(Winner.Model1, r.Combined));
        Assert.Equal("numeric:5", rows[0].Template);
    }
}
