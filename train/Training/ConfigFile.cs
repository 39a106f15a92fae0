using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Toolkit.Train.Training;

/// <summary>
/// A YAML run file in place of flags (<c>toolkit train dpo --config run.yaml</c>, as <c>llamafactory-cli train x.yaml</c>):
/// a flat mapping of option keys (learning_rate, beta, loss_type, per_device_train_batch_size, ...) to scalars; a list is
/// accepted where an option takes a comma-separated list (loss_type, loss_weights). An unknown key, a nested mapping or a
/// value of the wrong type is an error naming the file, the line and the key.
/// </summary>
public static class ConfigFile
{
    /// <summary>Returns <paramref name="options"/> with every key of the YAML file at <paramref name="path"/> applied.</summary>
    public static T Apply<T>(T options, string path) where T : TrainOptions
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"config file '{path}' does not exist", path);
        var stream = new YamlStream();
        try
        {
            using var reader = new StreamReader(path);
            stream.Load(reader);
        }
        catch (YamlException e)
        {
            throw new ArgumentException($"{path}:{e.Start.Line}: not valid YAML ({e.Message})", e);
        }
        if (stream.Documents.Count == 0) return options;
        if (stream.Documents[0].RootNode is not YamlMappingNode root)
            throw new ArgumentException($"{path}:{stream.Documents[0].RootNode.Start.Line}: expected a mapping of option keys to values (key: value per line)");
        var type = options.GetType();
        foreach (var (k, v) in root.Children)
        {
            var line = k.Start.Line;
            var key = (k as YamlScalarNode)?.Value ?? throw new ArgumentException($"{path}:{line}: a key must be a plain name");
            var entry = OptionBinder.Find(type, key) ?? throw new ArgumentException(
                $"{path}:{line}: unknown key '{key}' for `toolkit train {options.Command}`.{Suggest(type, key)} " +
                $"Known keys: {string.Join(", ", OptionBinder.Entries(type).Select(e => e.Option.Key))}");
            var text = v switch
            {
                YamlScalarNode s => s.Value,
                YamlSequenceNode seq when seq.Children.All(c => c is YamlScalarNode) =>
                    string.Join(",", seq.Children.Select(c => ((YamlScalarNode)c).Value)),
                _ => throw new ArgumentException($"{path}:{v.Start.Line}: key '{key}' needs a single value (or a list of scalars), not a nested mapping"),
            };
            options = OptionBinder.With(options, entry, text, $"{path}:{v.Start.Line}");
        }
        return options;
    }

    /// <summary>" HINT: did you mean 'x'?" for the closest known key within edit distance 3, else "".</summary>
    static string Suggest(Type type, string key)
    {
        var best = OptionBinder.Entries(type).Select(e => (e.Option.Key, d: Distance(key, e.Option.Key))).MinBy(x => x.d);
        return best.d <= 3 ? $" HINT: did you mean '{best.Key}'?" : "";
    }

    static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++) d[i, 0] = i;
        for (var j = 0; j <= b.Length; j++) d[0, j] = j;
        for (var i = 1; i <= a.Length; i++)
        for (var j = 1; j <= b.Length; j++)
            d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
        return d[a.Length, b.Length];
    }
}
