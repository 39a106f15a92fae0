namespace Toolkit.Train.Training;

/// <summary>The learning-rate schedule after warmup (option <c>lr_scheduler_type</c>; see <see cref="LrSchedule"/>).</summary>
public enum LrSchedulerType
{
    /// <summary>Cosine decay to min_lr_ratio × lr at the last step (transformers' get_cosine_schedule_with_warmup). Default.</summary>
    Cosine,
    /// <summary>Linear decay to 0.</summary>
    Linear,
    /// <summary>Constant lr after warmup.</summary>
    Constant,
}
