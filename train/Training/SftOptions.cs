namespace Toolkit.Train.Training;

/// <summary>
/// `toolkit train sft`: supervised fine-tuning, the masked NLL of the completion / assistant tokens (TRL SFTTrainer with
/// completion_only_loss / assistant_only_loss). Every option is in <see cref="TrainOptions"/>; only the defaults differ.
/// </summary>
public sealed record SftOptions : TrainOptions
{
    /// <summary>SFT defaults: learning rate 2e-5 (TRL SFTConfig).</summary>
    public SftOptions() => LearningRate = 2e-5;

    /// <inheritdoc/>
    public override string Command => "sft";
}
