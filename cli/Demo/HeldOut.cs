using Toolkit.Core.Checkpoints;
using Toolkit.Export;
using Toolkit.Runtime.Generation;
using Toolkit.Train.Data;
using Toolkit.Train.Data.Synthetic;
using Toolkit.Train.Losses;
using Toolkit.Train.Model;
using TorchSharp;
using Toolkit.Train.Training;

namespace Toolkit.Cli.Demo;

/// <summary>
/// Held-out measurements of a checkpoint on the synthetic task: log-probs of held-out preference pairs (libtorch), and
/// the rule-judged rate of good answers among greedy generations for held-out prompts (exported to ONNX, run on ORT).
/// </summary>
static class HeldOut
{
    /// <summary>Per held-out pair: (log π(chosen), log π(rejected)) summed over completion tokens.</summary>
    public static (double Chosen, double Rejected)[] PairLogps(string checkpoint, string pairsFile)
    {
        var resolved = Toolkit.Core.Folders.ModelFolder.Open(checkpoint);
        var tok = resolved.Tokenizer;
        var template = resolved.ChatTemplate ?? throw new InvalidOperationException($"'{checkpoint}' has no chat template (chat_template.jinja or tokenizer_config.json)");
        var set = DataReader.Read(pairsFile, OnBadRow.Fail);
        var pairs = new ExampleBuilder(tok, template, new TokenizeOptions { MaxLength = 256 }, set.Report).Pairs(set.Pairs);
        using var folder = CheckpointFolder.Open(checkpoint);
        using var model = new Decoder(DecoderWeights.Load(folder));
        var padId = resolved.PadId;
        var result = new List<(double, double)>();
        using var noGrad = torch.no_grad();
        foreach (var chunk in pairs.Chunk(32))
        {
            using var scope = torch.NewDisposeScope();
            var logps = CompletionLogps.Compute(model, PreferenceObjective.Layout(chunk, sharedPrompt: true, padId));
            var (c, r) = logps.SplitPairs();
            result.AddRange(c.Sum.data<float>().ToArray().Zip(r.Sum.data<float>().ToArray(), (a, b) => ((double)a, (double)b)));
        }
        return [.. result];
    }

    /// <summary>Exports <paramref name="checkpoint"/> to <paramref name="onnxFolder"/> and returns greedy answers to <paramref name="prompts"/> from ONNX Runtime.</summary>
    public static IReadOnlyList<GenerationResult> Generate(string checkpoint, string onnxFolder, IReadOnlyList<string> prompts)
    {
        OnnxExporter.Export(checkpoint, onnxFolder);
        using var model = new Model(onnxFolder);
        return model.Generate(prompts, new GenerationOptions
        {
            Search = new DecodingSettings { MaxNewTokens = 40, DoSample = false },
            BatchSize = 16,
        });
    }

    /// <summary>Shares of answers meeting each criterion of the synthetic task's rule: (good, language, format, correct).</summary>
    public static (double Good, double Language, double Format, double Correct) Rates(IReadOnlyList<GenerationResult> answers)
    {
        var grades = answers.Select(a => SyntheticTask.GradeAnswer(a.Prompt, a.Text)).ToList();
        double Share(Func<AnswerGrade, bool> f) => grades.Count(f) / (double)grades.Count;
        return (Share(g => g.Good), Share(g => g.Language), Share(g => g.Format), Share(g => g.Correct));
    }
}
