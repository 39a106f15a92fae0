namespace Toolkit.Core.Options;

/// <summary>
/// Marks a property of a command's options record (train, quantize, …) as a user-facing option. The one place its words
/// live: the YAML key (<see cref="Key"/>, the name TRL / LLaMA-Factory users know), the CLI flag (<c>--</c> + key with
/// <c>-</c> for <c>_</c>, plus <see cref="Aliases"/>), and <see cref="Help"/> (default, range, paper, interactions), which
/// the command's <c>--help</c> (and, for train, OptionBinder.Markdown) print.
/// </summary>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = false)]
public sealed class OptionAttribute(string key, string help) : Attribute
{
    /// <summary>YAML key, e.g. <c>learning_rate</c>.</summary>
    public string Key { get; } = key;

    /// <summary>The help text: what it does, default, range, interactions.</summary>
    public string Help { get; } = help;

    /// <summary>Extra CLI flags, e.g. <c>--out</c> for <c>output_dir</c>.</summary>
    public string[] Aliases { get; init; } = [];

    /// <summary>The CLI flag: <c>--learning-rate</c> for <c>learning_rate</c>.</summary>
    public string Flag => "--" + Key.Replace('_', '-');

    /// <summary>The attribute on <typeparamref name="T"/>'s property <paramref name="property"/>.</summary>
    public static OptionAttribute Of<T>(string property) =>
        (OptionAttribute)Attribute.GetCustomAttribute(typeof(T).GetProperty(property)!, typeof(OptionAttribute))!;
}
