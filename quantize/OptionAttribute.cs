namespace Toolkit.Quantize;

/// <summary>
/// Marks a property of <see cref="QuantizeOptions"/> or the report options as a user-facing option: the CLI flag
/// (<c>--</c> + <see cref="Key"/> with <c>-</c> for <c>_</c>) and <see cref="Help"/> (default, range, interactions), which
/// <c>toolkit quantize --help</c> prints. The same pattern as train/Training/OptionAttribute.cs (quantize does not
/// reference train).
/// </summary>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = false)]
public sealed class OptionAttribute(string key, string help) : Attribute
{
    /// <summary>Key, e.g. <c>block_size</c>.</summary>
    public string Key { get; } = key;

    /// <summary>The help text: what it does, default, range, interactions.</summary>
    public string Help { get; } = help;

    /// <summary>The CLI flag: <c>--block-size</c> for <c>block_size</c>.</summary>
    public string Flag => "--" + Key.Replace('_', '-');

    /// <summary>The attribute on <typeparamref name="T"/>'s property <paramref name="property"/>.</summary>
    public static OptionAttribute Of<T>(string property) =>
        (OptionAttribute)Attribute.GetCustomAttribute(typeof(T).GetProperty(property)!, typeof(OptionAttribute))!;
}
