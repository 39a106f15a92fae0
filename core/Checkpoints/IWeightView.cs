namespace Toolkit.Core.Checkpoints;

/// <summary>
/// A name → tensor view over a checkpoint's weights: one safetensors file (<see cref="SafetensorsFile"/>) or a sharded
/// set (<see cref="ShardedSafetensors"/>). Tensors borrow the mapped files: they are valid until the view is disposed.
/// </summary>
public interface IWeightView : IDisposable
{
    /// <summary>The file (or index file) the view was opened from, for messages.</summary>
    string SourcePath { get; }

    /// <summary>Every tensor name, sorted ordinally.</summary>
    IReadOnlyList<string> Names { get; }

    bool Contains(string name);

    bool TryGet(string name, out SafetensorsTensor tensor);

    /// <summary>The tensor, or a <see cref="CheckpointException"/> naming the file and the missing tensor.</summary>
    SafetensorsTensor this[string name] { get; }
}
