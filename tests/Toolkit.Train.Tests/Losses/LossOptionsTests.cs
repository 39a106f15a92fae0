using Toolkit.Train.Losses;

namespace Toolkit.Train.Tests.Losses;

/// <summary>Validate() refuses inconsistent options with a message naming the option and what to do.</summary>
public sealed class LossOptionsTests
{
    [Theory]
    [InlineData("Beta", "β must be")]
    [InlineData("LabelSmoothing", "[0, 0.5)")]
    [InlineData("Weights", "one weight per loss")]
    [InlineData("ZeroWeights", "all 0")]
    [InlineData("KtoMixed", "cannot be combined")]
    [InlineData("Duplicate", "twice")]
    [InlineData("Empty", "at least one objective")]
    [InlineData("SimpoGamma", "γ must be")]
    [InlineData("KtoWeight", "KTO weights")]
    public void Inconsistent_options_are_refused_with_the_option_named(string what, string message)
    {
        var o = new LossOptions();
        o = what switch
        {
            "Beta" => o with { Beta = 0 },
            "LabelSmoothing" => o with { LabelSmoothing = 0.5 },
            "Weights" => o with { Weights = [1.0, 2.0] },
            "ZeroWeights" => o with { Losses = [LossType.Sigmoid, LossType.Sft], Weights = [0.0, 0.0] },
            "KtoMixed" => o with { Losses = [LossType.Kto, LossType.Sft] },
            "Duplicate" => o with { Losses = [LossType.Sigmoid, LossType.Sigmoid] },
            "Empty" => o with { Losses = [] },
            "SimpoGamma" => o with { SimpoGamma = double.NaN },
            "KtoWeight" => o with { DesirableWeight = -1 },
            _ => throw new ArgumentException(what),
        };
        var e = Assert.Throws<ArgumentException>(() => o.Validate());
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void Defaults_follow_trl_and_each_loss_reads_its_papers_reduction()
    {
        var o = new LossOptions().Validate();
        Assert.Equal([LossType.Sigmoid], o.Losses);
        Assert.Equal(0.1, o.Beta);
        Assert.Equal(0.5, o.SimpoGamma);
        Assert.True(o.NeedsReference);
        Assert.Equal(LogProbReduction.Sum, o.ReductionFor(LossType.Sigmoid));
        Assert.Equal(LogProbReduction.Mean, o.ReductionFor(LossType.SimPO));
        Assert.Equal(LogProbReduction.Mean, o.ReductionFor(LossType.Orpo));
        Assert.False((o with { Losses = [LossType.SimPO, LossType.Sft] }).NeedsReference);
        Assert.Equal(LogProbReduction.Sum, (o with { Reduction = LogProbReduction.Sum }).ReductionFor(LossType.SimPO));
    }
}
