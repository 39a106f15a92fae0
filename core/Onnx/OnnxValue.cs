namespace Toolkit.Core.Onnx;

/// <summary>A named value in a graph under construction: a graph input, an initializer or a node output.</summary>
public readonly record struct OnnxValue(string Name)
{
    /// <summary>The empty name ONNX uses for an omitted optional input or output.</summary>
    public static readonly OnnxValue None = new("");

    public override string ToString() => Name;
}
