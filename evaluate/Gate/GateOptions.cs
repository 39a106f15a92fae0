namespace Toolkit.Evaluate.Gate;

/// <summary>What an INCONCLUSIVE gate exits with.</summary>
public enum InconclusivePolicy
{
    /// <summary>Exit 2 (the pipeline decides).</summary>
    Exit2,
    /// <summary>Exit 0: treat as PASS.</summary>
    Pass,
    /// <summary>Exit 1: treat as FAIL.</summary>
    Fail,
}

/// <summary>Decision settings of <c>toolkit evaluate gate</c>; the CLI's help repeats these words.</summary>
public sealed record GateOptions
{
    /// <summary>--margin: the non-inferiority margin δ on the tie-adjusted win rate. PASS when the interval's low end ≥ 0.5 − δ; FAIL when its high end &lt; 0.5 − δ. Range 0..0.5. Default 0.05.</summary>
    public double Margin { get; init; } = 0.05;

    /// <summary>--confidence: two-sided level of the bootstrap interval. Range 0.5..0.999. Default 0.95.</summary>
    public double Confidence { get; init; } = 0.95;

    /// <summary>--bootstrap: bootstrap rounds over questions (fixed seed 0). Range 100..100000. Default 2000.</summary>
    public int Rounds { get; init; } = 2000;

    /// <summary>--max-judge-errors: the largest share of judge games allowed to be errors; above it the gate is INCONCLUSIVE (the judge, not the model, failed). Range 0..1. Default 0.05.</summary>
    public double MaxJudgeErrorRate { get; init; } = 0.05;

    /// <summary>--inconclusive: what INCONCLUSIVE exits with: exit2 (default), pass (0) or fail (1).</summary>
    public InconclusivePolicy Inconclusive { get; init; } = InconclusivePolicy.Exit2;

    /// <summary>Checks ranges; messages say what to pass instead.</summary>
    public GateOptions Validate()
    {
        if (Margin is < 0 or > 0.5) throw new ArgumentException($"--margin {Margin} is out of range 0..0.5 (a win-rate difference, e.g. 0.05)");
        if (Confidence is < 0.5 or > 0.999) throw new ArgumentException($"--confidence {Confidence} is out of range 0.5..0.999 (e.g. 0.95)");
        if (Rounds is < 100 or > 100000) throw new ArgumentException($"--bootstrap {Rounds} is out of range 100..100000");
        if (MaxJudgeErrorRate is < 0 or > 1) throw new ArgumentException($"--max-judge-errors {MaxJudgeErrorRate} is out of range 0..1");
        return this;
    }
}
