using Toolkit.Core.Options;
using System.Globalization;
using System.Reflection;
using System.Text;

namespace Toolkit.Train.Training;

/// <summary>
/// Reads and writes the <see cref="OptionAttribute"/>-marked properties of an options record: one parser for YAML values
/// and CLI flags (so both accept and refuse the same words), the list of options, and their Markdown documentation.
/// </summary>
public static class OptionBinder
{
    /// <summary>One option: the property and its attribute.</summary>
    public sealed record Entry(PropertyInfo Property, OptionAttribute Option)
    {
        /// <summary>The property's type without Nullable.</summary>
        public Type ValueType => Nullable.GetUnderlyingType(Property.PropertyType) ?? Property.PropertyType;

        /// <summary>The value as text (invariant culture; "" for null).</summary>
        public string Format(object options) => Property.GetValue(options) switch
        {
            null => "",
            bool b => b ? "true" : "false",
            Enum v => EnumWord(v),
            IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
            var v => v.ToString() ?? "",
        };
    }

    /// <summary>The options of <paramref name="type"/>, base-record options first, in declaration order.</summary>
    public static IReadOnlyList<Entry> Entries(Type type)
    {
        var chain = new List<Type>();
        for (var t = type; t is not null && t != typeof(object); t = t.BaseType) chain.Insert(0, t);
        return [.. chain.SelectMany(t => t.GetProperties(BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly)
                .OrderBy(p => p.MetadataToken)
                .Select(p => (p, a: p.GetCustomAttribute<OptionAttribute>()))
                .Where(x => x.a is not null)
                .Select(x => new Entry(x.p, x.a!)))];
    }

    /// <summary>The option whose YAML key is <paramref name="key"/>, or null.</summary>
    public static Entry? Find(Type type, string key) => Entries(type).FirstOrDefault(e => e.Option.Key == key);

    /// <summary>A copy of <paramref name="options"/> with <paramref name="entry"/> set from <paramref name="text"/>; <paramref name="where"/> names the source in errors.</summary>
    public static T With<T>(T options, Entry entry, string? text, string where) where T : TrainOptions
    {
        var value = Parse(entry, text, where);
        var copy = options with { };   // records: a shallow clone; init-only setters are reachable by reflection
        entry.Property.SetValue(copy, value);
        return copy;
    }

    /// <summary>Converts <paramref name="text"/> to the option's type; the error names the source, the key and the expected form.</summary>
    public static object? Parse(Entry entry, string? text, string where)
    {
        var key = entry.Option.Key;
        var t = entry.ValueType;
        var nullable = !entry.Property.PropertyType.IsValueType || Nullable.GetUnderlyingType(entry.Property.PropertyType) is not null;
        if (text is null || text.Length == 0 || text is "null" or "~")
        {
            if (nullable) return null;
            throw new ArgumentException($"{where}: {key} needs a value ({Describe(t)})");
        }
        if (t == typeof(string)) return text;
        if (t == typeof(bool))
            return text.ToLowerInvariant() switch
            {
                "true" or "yes" or "1" or "on" => true,
                "false" or "no" or "0" or "off" => false,
                _ => throw new ArgumentException($"{where}: {key} = '{text}' is not a boolean; use true or false"),
            };
        if (t == typeof(int))
            return int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var i) ? i
                : throw new ArgumentException($"{where}: {key} = '{text}' is not a whole number");
        if (t == typeof(long))
            return long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var l) ? l
                : throw new ArgumentException($"{where}: {key} = '{text}' is not a whole number");
        if (t.IsEnum) return ParseEnum(t, text, $"{where}: {key}");
        if (t == typeof(double))
            return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d
                : throw new ArgumentException($"{where}: {key} = '{text}' is not a number (e.g. 1e-6 or 0.1)");
        throw new InvalidOperationException($"option {key} has unsupported type {t.Name}");
    }

    static string Describe(Type t) => t.IsEnum ? "one of " + EnumWords(t) : t == typeof(bool) ? "true or false" : t == typeof(string) ? "text" : t == typeof(double) ? "a number" : "a whole number";

    /// <summary>The option word of an enum value: <c>KeepEnd</c> → <c>keep_end</c>, <c>Cosine</c> → <c>cosine</c>.</summary>
    public static string EnumWord(Enum value) => Snake(value.ToString());

    /// <summary>The words of every value of enum <paramref name="t"/>, e.g. <c>cosine, linear, constant</c>.</summary>
    public static string EnumWords(Type t) => string.Join(", ", Enum.GetNames(t).Select(Snake));

    /// <summary>
    /// The value of enum <paramref name="t"/> named by <paramref name="text"/> (its <see cref="EnumWord"/>, any case, '-' for
    /// '_'; true/false words for enums with True and False members). Throws <see cref="ArgumentException"/> naming
    /// <paramref name="what"/> and every valid value.
    /// </summary>
    public static object ParseEnum(Type t, string text, string what)
    {
        var word = text.Trim().ToLowerInvariant().Replace('-', '_');
        foreach (var name in Enum.GetNames(t))
            if (Snake(name) == word) return Enum.Parse(t, name);
        var boolWord = word switch { "yes" or "1" or "on" => "true", "no" or "0" or "off" => "false", _ => null };
        if (boolWord is not null && Enum.GetNames(t).Any(n => Snake(n) == boolWord)) return Enum.Parse(t, boolWord, ignoreCase: true);
        throw new ArgumentException($"{what} = '{text}' is not valid; use one of {EnumWords(t)}");
    }

    static string Snake(string name)
    {
        var sb = new StringBuilder(name.Length + 4);
        for (var i = 0; i < name.Length; i++)
        {
            if (i > 0 && char.IsUpper(name[i]) && char.IsLower(name[i - 1])) sb.Append('_');
            sb.Append(char.ToLowerInvariant(name[i]));
        }
        return sb.ToString();
    }

    /// <summary>The effective options as YAML (one key per line, in option order), readable back with <see cref="ConfigFile"/>.</summary>
    public static string ToYaml(TrainOptions options)
    {
        var sb = new StringBuilder();
        sb.AppendLine($"# toolkit train {options.Command}: effective options");
        foreach (var e in Entries(options.GetType()))
        {
            var v = e.Property.GetValue(options);
            if (v is null) continue;
            var text = e.Format(options);
            sb.Append(e.Option.Key).Append(": ").AppendLine(v is string ? Quote(text) : text);
        }
        return sb.ToString();
    }

    static string Quote(string s) => "'" + s.Replace("'", "''") + "'";

    /// <summary>A Markdown table of every option of <paramref name="options"/>: key, flag, default, help (the same words as --help).</summary>
    public static string Markdown(TrainOptions options)
    {
        var sb = new StringBuilder();
        sb.AppendLine($"| key | flag | default | meaning |").AppendLine("|---|---|---|---|");
        foreach (var e in Entries(options.GetType()))
            sb.AppendLine($"| `{e.Option.Key}` | `{string.Join("`, `", new[] { e.Option.Flag }.Concat(e.Option.Aliases))}` | `{e.Format(options)}` | {e.Option.Help.Replace("|", "\\|")} |");
        return sb.ToString();
    }
}
