using Toolkit.Train.Data;

namespace Toolkit.Train.Tests.Data;

/// <summary>The train/validation split is deterministic by seed, disjoint, complete, and keeps a prompt's pairs together.</summary>
public sealed class SplitTests
{
    static List<PreferenceExample> Examples(int prompts, int pairsPerPrompt) =>
        Enumerable.Range(0, prompts).SelectMany(p => Enumerable.Range(0, pairsPerPrompt).Select(k =>
            new PreferenceExample([p, p + 1], [k], [k + 100], new RowOrigin("mem", p * pairsPerPrompt + k + 1)))).ToList();

    [Fact]
    public void Same_seed_same_split_different_seed_different_split()
    {
        var items = Examples(200, 1);
        var (a, va) = DatasetSplit.Split(items, 0.1, 7);
        var (b, vb) = DatasetSplit.Split(items, 0.1, 7);
        var (_, vc) = DatasetSplit.Split(items, 0.1, 8);
        Assert.Equal(va.Select(e => e.Origin.Line), vb.Select(e => e.Origin.Line));
        Assert.Equal(a.Select(e => e.Origin.Line), b.Select(e => e.Origin.Line));
        Assert.NotEqual(va.Select(e => e.Origin.Line).ToHashSet(), vc.Select(e => e.Origin.Line).ToHashSet());
        Assert.Equal(20, va.Count);
    }

    [Fact]
    public void Disjoint_complete_and_in_input_order()
    {
        var items = Examples(100, 3);
        var (train, validation) = DatasetSplit.Split(items, 0.2, 42);
        var t = train.Select(e => e.Origin.Line).ToList();
        var v = validation.Select(e => e.Origin.Line).ToList();
        Assert.Empty(t.Intersect(v));
        Assert.Equal(items.Count, t.Count + v.Count);
        Assert.Equal(t.Order(), t);
        Assert.Equal(v.Order(), v);
        Assert.Equal(60, v.Count);
    }

    [Fact]
    public void Pairs_of_one_prompt_never_straddle_the_split()
    {
        var (train, validation) = DatasetSplit.Split(Examples(50, 4), 0.1, 3);
        var trainPrompts = train.Select(e => e.PromptIds[0]).ToHashSet();
        Assert.DoesNotContain(validation, e => trainPrompts.Contains(e.PromptIds[0]));
        Assert.Equal(20, validation.Count);
    }

    [Fact]
    public void Fraction_out_of_range_is_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => DatasetSplit.Split(Examples(3, 1), 1.0, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => DatasetSplit.Split(Examples(3, 1), -0.1, 1));
    }
}
