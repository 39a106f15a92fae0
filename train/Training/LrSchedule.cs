namespace Toolkit.Train.Training;

/// <summary>
/// The learning rate of optimizer step s (0-based), as transformers' schedulers define it:
/// <list type="number">
/// <item>warmup: lr · s / warmup for s &lt; warmup (so step 0 runs at 0);</item>
/// <item>cosine: lr · (m + (1 − m) · ½(1 + cos(π · p))), p = (s − warmup) / (total − warmup), m = min_lr_ratio
/// (get_cosine_schedule_with_warmup with num_cycles 0.5; m &gt; 0 is OpenRLHF's cosine_with_min_lr);</item>
/// <item>linear: lr · max(0, 1 − p); constant: lr.</item>
/// </list>
/// A pure function of the step, so a resumed run needs no scheduler state.
/// </summary>
public sealed record LrSchedule(LrSchedulerType Type, double PeakLr, int TotalSteps, int WarmupSteps, double MinLrRatio = 0)
{
    /// <summary>The schedule of <paramref name="o"/> over <paramref name="totalSteps"/> steps.</summary>
    public static LrSchedule From(TrainOptions o, int totalSteps) =>
        new(o.LrSchedulerType, o.LearningRate, totalSteps,
            o.WarmupSteps > 0 ? o.WarmupSteps : (int)Math.Ceiling(o.WarmupRatio * totalSteps), o.MinLrRatio);

    /// <summary>Learning rate for optimizer step <paramref name="step"/> (0-based).</summary>
    public double At(int step)
    {
        if (step < WarmupSteps) return PeakLr * step / Math.Max(1, WarmupSteps);
        var progress = (double)(step - WarmupSteps) / Math.Max(1, TotalSteps - WarmupSteps);
        return Type switch
        {
            LrSchedulerType.Cosine => PeakLr * (MinLrRatio + (1 - MinLrRatio) * 0.5 * (1 + Math.Cos(Math.PI * progress))),
            LrSchedulerType.Linear => PeakLr * Math.Max(0, 1 - progress),
            LrSchedulerType.Constant => PeakLr,
            _ => throw new ArgumentOutOfRangeException(nameof(Type), Type, "lr_scheduler_type: use cosine, linear or constant"),
        };
    }
}
