using System.Globalization;
using System.Text.RegularExpressions;
using Toolkit.Quantize;
using Toolkit.Train.Training;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Toolkit.Cli.Experiment;

/// <summary>A study file that cannot be used: the message names the file, the line, the field and what to do.</summary>
public sealed class StudyException(string message) : Exception(message);

/// <summary>
/// Reads experiment.yaml into a <see cref="Study"/>. Every error names file:line, the field's path (e.g.
/// runs[1].options.learning_rate) and what to write instead. Unknown keys are errors (a typo must not silently keep a
/// default). Training options are checked here against `toolkit train`'s own option records, so a bad value fails
/// before any stage runs.
/// </summary>
public static class StudyReader
{
    /// <summary>The embedded demo study's resource name (cli/Experiment/demo.yaml).</summary>
    public const string DemoResource = "Toolkit.Cli.Experiment.demo.yaml";

    /// <summary>Reads the study file at <paramref name="path"/>.</summary>
    public static Study ReadFile(string path)
    {
        if (!File.Exists(path)) throw new StudyException($"{path}: no such file. HINT: pass an experiment.yaml (see `toolkit experiment run --help`), or run `toolkit demo` for the embedded study");
        return Parse(File.ReadAllText(path), path);
    }

    /// <summary>The embedded demo study (optionally renamed).</summary>
    public static Study Demo(string? name = null)
    {
        using var stream = typeof(StudyReader).Assembly.GetManifestResourceStream(DemoResource) ?? throw new InvalidOperationException($"embedded resource {DemoResource} is missing from the build");
        using var reader = new StreamReader(stream);
        var study = Parse(reader.ReadToEnd(), "embedded:demo.yaml");
        return name is null ? study : study with { Name = name };
    }

    /// <summary>Parses <paramref name="text"/>; <paramref name="source"/> names it in errors.</summary>
    public static Study Parse(string text, string source)
    {
        var yaml = new YamlStream();
        try { yaml.Load(new StringReader(text)); }
        catch (YamlException e) { throw new StudyException($"{source}:{e.Start.Line}: not valid YAML ({e.InnerException?.Message ?? e.Message}). HINT: check the indentation and quoting near that line"); }
        if (yaml.Documents.Count == 0 || yaml.Documents[0].RootNode is not YamlMappingNode root)
            throw new StudyException($"{source}:1: the study must be a YAML mapping (name:, base:, runs:, ...). HINT: see `toolkit experiment run --help`");
        var r = new Reader(source);
        var top = r.Map(root, "", ["name", "seed", "data", "base", "runs", "quantize", "answers", "judges", "gate"]);

        var name = r.Text(top, "name", "", required: true)!;
        if (!Regex.IsMatch(name, @"^[A-Za-z0-9][A-Za-z0-9._-]*$"))
            throw r.Error(top["name"], "name", $"'{name}' is not a folder name. HINT: letters, digits, '-', '_', '.'");
        var seed = r.Long(top, "seed", "", 1);

        var data = new DataSpec();
        if (top.TryGetValue("data", out var dn))
        {
            var d = r.Map(dn, "data", ["source", "heldout_questions", "sft_rows", "pair_rows"]);
            var src = r.Text(d, "source", "data.", false) ?? "synthetic";
            if (src != "synthetic") throw r.Error(d["source"], "data.source", $"'{src}': only the synthetic bilingual task is built in. HINT: write source: synthetic");
            data = new DataSpec(r.Int(d, "heldout_questions", "data.", data.HeldOutQuestions, 8, 200), r.Int(d, "sft_rows", "data.", data.SftRows, 100, 100000),
                r.Int(d, "pair_rows", "data.", data.PairRows, 100, 100000));
        }

        if (!top.TryGetValue("base", out var bn)) throw r.Missing(root, "base", "base: {preset: tiny, vocab_size: 4096, options: {...}} or base: {model: DIR}");
        var b = r.Map(bn, "base", ["model", "preset", "vocab_size", "options"]);
        var model = r.Text(b, "model", "base.", false);
        if (model is not null && !File.Exists(Path.Combine(model, "config.json")))
            throw r.Error(b["model"], "base.model", $"'{model}' has no config.json. HINT: name an HF checkpoint folder, or drop base.model to train SFT here from base.preset");
        var baseSpec = new BaseSpec(model is null ? null : Path.GetFullPath(model), r.Text(b, "preset", "base.", false) ?? "tiny",
            r.Int(b, "vocab_size", "base.", 4096, 300, 200000), r.TrainOptions(b, "base.", TrainMethod.Sft));

        var runs = new List<RunSpec>();
        if (!top.TryGetValue("runs", out var rn) || rn is not YamlSequenceNode runSeq || runSeq.Children.Count == 0)
            throw r.Missing(root, "runs", "runs: a list of {name, method: dpo|simpo|ipo|orpo|kto|sft, beta, options}");
        for (var i = 0; i < runSeq.Children.Count; i++)
        {
            var at = $"runs[{i}].";
            var m = r.Map(runSeq.Children[i], $"runs[{i}]", ["name", "method", "beta", "options"]);
            var runName = r.Text(m, "name", at, true)!;
            if (!Regex.IsMatch(runName, @"^[A-Za-z0-9][A-Za-z0-9._-]*$") || runName == "sft")
                throw r.Error(m["name"], at + "name", $"'{runName}' is not a usable run name. HINT: letters, digits, '-', '_', '.'; not 'sft' (the baseline's name)");
            if (runs.Any(x => x.Name == runName)) throw r.Error(m["name"], at + "name", $"'{runName}' is used by an earlier run. HINT: give each run its own name");
            var methodText = r.Text(m, "method", at, true)!;
            if (!Enum.TryParse<TrainMethod>(methodText, ignoreCase: true, out var method) || methodText.Any(char.IsDigit))
                throw r.Error(m["method"], at + "method", $"'{methodText}' is not a method. HINT: one of {string.Join(", ", Enum.GetNames<TrainMethod>().Select(n => n.ToLowerInvariant()))}");
            double? beta = m.ContainsKey("beta") ? r.Double(m, "beta", at, 0, 1e-6, 100) : null;
            if (beta is not null && method == TrainMethod.Sft) throw r.Error(m["beta"], at + "beta", "sft has no β. HINT: remove beta, or use a preference method");
            runs.Add(new RunSpec(runName, method, beta, r.TrainOptions(m, at, method)));
        }

        var quant = new List<QuantVariant>();
        if (top.TryGetValue("quantize", out var qn))
        {
            if (qn is not YamlSequenceNode qs) throw r.Error(qn, "quantize", "must be a list of {name, bits, granularity, block_size}");
            for (var i = 0; i < qs.Children.Count; i++)
            {
                var at = $"quantize[{i}].";
                var m = r.Map(qs.Children[i], $"quantize[{i}]", ["name", "bits", "granularity", "block_size"]);
                var qName = r.Text(m, "name", at, true)!;
                if (!Regex.IsMatch(qName, @"^[A-Za-z0-9][A-Za-z0-9._-]*$") || quant.Any(x => x.Name == qName))
                    throw r.Error(m["name"], at + "name", $"'{qName}' is not a new folder name. HINT: unique; letters, digits, '-', '_', '.'");
                var bits = r.Int(m, "bits", at, 8, 4, 8);
                if (bits is not (4 or 8)) throw r.Error(m["bits"], at + "bits", $"{bits}: use 8 or 4");
                var g = r.Text(m, "granularity", at, false) ?? "channel";
                var gran = g switch
                {
                    "tensor" => Granularity.Tensor, "channel" => Granularity.Channel, "block" => Granularity.Block,
                    _ => throw r.Error(m["granularity"], at + "granularity", $"'{g}': use tensor, channel or block"),
                };
                var block = r.Int(m, "block_size", at, 32, 16, 256);
                if ((block & (block - 1)) != 0) throw r.Error(m["block_size"], at + "block_size", $"{block}: use a power of two (16, 32, 64, 128, 256)");
                quant.Add(new QuantVariant(qName, bits, gran, block));
            }
        }

        var answers = new AnswerSpec();
        if (top.TryGetValue("answers", out var an))
        {
            var m = r.Map(an, "answers", ["max_new_tokens"]);
            answers = new AnswerSpec(r.Int(m, "max_new_tokens", "answers.", answers.MaxNewTokens, 1, 4096));
        }
        var judges = new JudgeSpec();
        if (top.TryGetValue("judges", out var jn))
        {
            var m = r.Map(jn, "judges", ["rule", "distilled", "distill_max_steps"]);
            if (m.TryGetValue("rule", out var rule) && r.Scalar(rule, "judges.rule") != "true")
                throw r.Error(rule, "judges.rule", "the rule judge always runs (win rates and the gate use it). HINT: remove judges.rule or write true");
            judges = new JudgeSpec(r.Bool(m, "distilled", "judges.", true), m.ContainsKey("distill_max_steps") ? r.Int(m, "distill_max_steps", "judges.", 100, 1, 1000000) : null);
        }
        var gate = new GateSpec();
        if (top.TryGetValue("gate", out var gn))
        {
            var m = r.Map(gn, "gate", ["margin", "confidence", "bootstrap"]);
            gate = new GateSpec(r.Double(m, "margin", "gate.", gate.Margin, 0, 0.5), r.Double(m, "confidence", "gate.", gate.Confidence, 0.5, 0.999),
                r.Int(m, "bootstrap", "gate.", gate.Bootstrap, 100, 100000));
        }
        return new Study(name, source, text, seed, data, baseSpec, runs, quant, answers, judges, gate);
    }

    /// <summary>Typed reads of YAML nodes with file:line errors.</summary>
    sealed class Reader(string source)
    {
        public StudyException Error(YamlNode node, string field, string what) => new($"{source}:{node.Start.Line}: {field}: {what}");

        public StudyException Missing(YamlNode parent, string field, string hint) => new($"{source}:{parent.Start.Line}: {field} is missing. HINT: {hint}");

        public Dictionary<string, YamlNode> Map(YamlNode node, string field, string[] allowed)
        {
            if (node is not YamlMappingNode map) throw Error(node, field.Length == 0 ? "(top)" : field, "must be a mapping (key: value lines)");
            var result = new Dictionary<string, YamlNode>();
            foreach (var (k, v) in map.Children)
            {
                var key = Scalar(k, field);
                var path = field.Length == 0 ? key : $"{field}.{key}";
                if (!allowed.Contains(key)) throw Error(k, path, $"unknown key. HINT: the keys here are {string.Join(", ", allowed)}");
                result[key] = v;
            }
            return result;
        }

        public string Scalar(YamlNode node, string field) =>
            node is YamlScalarNode { Value: { } v } ? v : throw Error(node, field, "must be a single value, not a list or mapping");

        public string? Text(Dictionary<string, YamlNode> m, string key, string at, bool required)
        {
            if (!m.TryGetValue(key, out var n))
                return required ? throw new StudyException($"{source}: {at}{key} is missing. HINT: add `{key}: ...`") : null;
            var v = Scalar(n, at + key);
            if (v.Length == 0) throw Error(n, at + key, "is empty");
            return v;
        }

        public int Int(Dictionary<string, YamlNode> m, string key, string at, int fallback, int lo, int hi)
        {
            if (!m.TryGetValue(key, out var n)) return fallback;
            var s = Scalar(n, at + key);
            if (!int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) || v < lo || v > hi)
                throw Error(n, at + key, $"'{s}': write a whole number in {lo}..{hi}");
            return v;
        }

        public long Long(Dictionary<string, YamlNode> m, string key, string at, long fallback)
        {
            if (!m.TryGetValue(key, out var n)) return fallback;
            var s = Scalar(n, at + key);
            return long.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) && v >= 0 ? v : throw Error(n, at + key, $"'{s}': write a whole number ≥ 0");
        }

        public double Double(Dictionary<string, YamlNode> m, string key, string at, double fallback, double lo, double hi)
        {
            if (!m.TryGetValue(key, out var n)) return fallback;
            var s = Scalar(n, at + key);
            if (!double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) || v < lo || v > hi)
                throw Error(n, at + key, $"'{s}': write a number in {lo.ToString(CultureInfo.InvariantCulture)}..{hi.ToString(CultureInfo.InvariantCulture)}");
            return v;
        }

        public bool Bool(Dictionary<string, YamlNode> m, string key, string at, bool fallback)
        {
            if (!m.TryGetValue(key, out var n)) return fallback;
            return Scalar(n, at + key) switch { "true" => true, "false" => false, var s => throw Error(n, at + key, $"'{s}': write true or false") };
        }

        /// <summary>An `options:` mapping of `toolkit train METHOD` keys, each value checked by the train options' own parser.</summary>
        public IReadOnlyDictionary<string, string> TrainOptions(Dictionary<string, YamlNode> m, string at, TrainMethod method)
        {
            var result = new SortedDictionary<string, string>(StringComparer.Ordinal);
            if (!m.TryGetValue("options", out var n)) return result;
            if (n is not YamlMappingNode map) throw Error(n, at + "options", "must be a mapping of `toolkit train` options (learning_rate: 1e-4, ...)");
            var type = method.Defaults().GetType();
            string[] managed = ["model", "preset", "tokenizer", "data", "output_dir", "resume_from_checkpoint", "beta"];
            foreach (var (k, v) in map.Children)
            {
                var key = Scalar(k, at + "options");
                var field = $"{at}options.{key}";
                if (managed.Contains(key))
                    throw Error(k, field, "is set by the study runner (model, preset, tokenizer, data, output_dir, resume_from_checkpoint; beta is a run field). HINT: remove it from options");
                var entry = OptionBinder.Find(type, key)
                    ?? throw Error(k, field, $"`toolkit train {method.Verb()}` has no option '{key}'. HINT: see `toolkit train {method.Verb()} --help` (yaml: keys)");
                var value = Scalar(v, field);
                try { OptionBinder.Parse(entry, value, $"{source}:{v.Start.Line}: {field}"); }
                catch (Exception e) when (e is ArgumentException or FormatException or InvalidOperationException)
                {
                    throw new StudyException(e.Message.Contains(source, StringComparison.Ordinal) ? e.Message : $"{source}:{v.Start.Line}: {field}: {e.Message}");
                }
                result[key] = value;
            }
            return result;
        }
    }
}
