using Toolkit.Evaluate.Judging;

namespace Toolkit.Evaluate.Tests;

/// <summary>Verdict parsing over judge replies of the kinds real judges write.</summary>
public sealed class VerdictParserTests
{
    [Theory]
    // A judge quoting the instructions before its real verdict: FastChat's first-match rule would say A.
    [InlineData("The instructions ask me to output \"[[A]]\" if A is better, \"[[B]]\" if B is better, \"[[C]]\" for a tie. Assistant B computes 21 correctly while A says 9.\n\nFinal verdict: [[B]]", Verdict.B)]
    [InlineData("Both answers are correct and equally concise. [[C]]", Verdict.Tie)]
    [InlineData("My final verdict is [[A]].", Verdict.A)]
    // Several labels: the judge changed its mind; the last one counts.
    [InlineData("Initially I leaned [[A]], but A's arithmetic is wrong. Revised verdict: [[B]]", Verdict.B)]
    [InlineData("[[B]] ... on reflection both are fine: [[C]]", Verdict.Tie)]
    // Chinese replies, including full-width brackets.
    [InlineData("助手A的回答正确，助手B算错了。最终裁决：[[A]]", Verdict.A)]
    [InlineData("两个回答质量相当。最终结论：［［C］］", Verdict.Tie)]
    [InlineData("助手B更好。【【B】】", Verdict.B)]
    [InlineData("Verdict: [[tie]]", Verdict.Tie)]
    [InlineData("Verdict: [[ b ]]", Verdict.B)]
    // No label at all, or a label that is not one: a judge error, never a loss.
    [InlineData("Assistant A is better.", Verdict.Error)]
    [InlineData("Final verdict: [A]", Verdict.Error)]
    [InlineData("Final verdict: [[D]]", Verdict.Error)]
    [InlineData("", Verdict.Error)]
    public void PairwiseTakesTheLastLabel(string reply, Verdict expected) => Assert.Equal(expected, VerdictParser.Pairwise(reply));

    [Theory]
    [InlineData("The answer is accurate and clear. Rating: [[8]]", 8)]
    [InlineData("Rating: [[7.5]]", 7.5)]
    [InlineData("Format reminder: \"Rating: [[5]]\". The answer is wrong. Rating: [[2]]", 2)]
    [InlineData("回答完全正确，解释清楚。评分：[[9]]", 9)]
    [InlineData("评分：［［6］］", 6)]
    [InlineData("Rating: [4]", 4)]                // FastChat's backup pattern
    [InlineData("Rating: [[10]]", 10)]
    [InlineData("Rating: [[0]]", -1)]            // out of 1..10
    [InlineData("Rating: [[11]]", -1)]
    [InlineData("Rating: [[8/10]]", -1)]          // malformed
    [InlineData("Rating: eight out of ten", -1)]
    [InlineData("Rating: [[A]]", -1)]
    public void SingleTakesTheLastRatingInRange(string reply, double expected) => Assert.Equal(expected, VerdictParser.Single(reply));
}
