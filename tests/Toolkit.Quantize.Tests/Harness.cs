using System.Diagnostics;
using Toolkit.Core.Checkpoints;
using Toolkit.Core.Native;
using Toolkit.Export;
using Toolkit.Train.Model;

// Torch tensors are counted process-wide and ORT sessions use both cores: run tests one at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace Toolkit.Quantize.Tests;

/// <summary>Tiny exported folders to quantize, and the numpy oracle runner.</summary>
internal static class Harness
{
    /// <summary>The tiny preset cut to 2 layers and a 512-token vocabulary (K = 256 and 768), tied head.</summary>
    public static ModelConfig Tiny => Presets.Get("tiny", vocabSize: 512) with { NumHiddenLayers = 2, MaxPositionEmbeddings = 128 };

    /// <summary>Hidden size 96 (K = 96: not a multiple of 64), untied head, q/k/v biases.</summary>
    public static ModelConfig Odd => Presets.Get("tiny", vocabSize: 300) with
    {
        ModelType = "qwen2", HiddenSize = 96, IntermediateSize = 224, NumHiddenLayers = 1, NumAttentionHeads = 6,
        NumKeyValueHeads = 2, HeadDim = 16, AttentionBias = true, TieWordEmbeddings = false, MaxPositionEmbeddings = 64,
    };

    /// <summary>Exports random weights of <paramref name="config"/> to <paramref name="folder"/>; returns the decoder (caller disposes).</summary>
    public static Decoder Export(ModelConfig config, string folder, long seed = 3, ExportOptions? options = null)
    {
        var model = new Decoder(DecoderWeights.Random(config, seed));
        OnnxExporter.Export(model, folder, options ?? new ExportOptions { MaxLength = config.MaxPositionEmbeddings });
        return model;
    }

    /// <summary>The test corpus (tests/fixtures/tokenizer-corpus.txt), one sample a line.</summary>
    public static string Corpus => Path.Combine(NativeLibraries.RepoRoot()!, "tests", "fixtures", "tokenizer-corpus.txt");

    /// <summary>
    /// Exports random weights of <see cref="Tiny"/> with a 512-token BPE tokenizer learned on <see cref="Corpus"/>
    /// (so the folder tokenizes text for the report and calibration); returns the decoder (caller disposes).
    /// </summary>
    public static Decoder ExportWithTokenizer(string folder, long seed)
    {
        var tok = folder + "-tokenizer";
        var bpe = Toolkit.Core.Tokenizers.BpeTrainer.Train(File.ReadLines(Corpus), 512, ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]);
        bpe.EosToken = "<|endoftext|>";
        bpe.Save(tok);
        var model = new Decoder(DecoderWeights.Random(Tiny with { VocabSize = bpe.VocabSize }, seed));
        OnnxExporter.Export(model, folder, new ExportOptions { MaxLength = Tiny.MaxPositionEmbeddings }, tokenizerFolder: tok);
        return model;
    }

    /// <summary>Runs tests/oracles/<paramref name="script"/> under Debian's /usr/bin/python3; returns its stdout.</summary>
    public static string Python(string script, params string[] args)
    {
        var root = NativeLibraries.RepoRoot() ?? throw new InvalidOperationException("tests run from the checkout");
        var psi = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardError = true, RedirectStandardOutput = true };
        psi.ArgumentList.Add(Path.Combine(root, "tests", "oracles", script));
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi) ?? throw new InvalidOperationException("cannot start /usr/bin/python3: run `make test`, which installs python3-numpy");
        var stdout = p.StandardOutput.ReadToEndAsync();
        var err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"{script} failed ({p.ExitCode}); it needs Debian's python3-numpy (make test installs it):\n{err}");
        return stdout.Result;
    }

    /// <summary>Random N(0, 1) floats with a few outliers (×8), as real weights have.</summary>
    public static float[] RandomWeights(int count, int seed)
    {
        var rng = new Random(seed);
        var w = new float[count];
        for (var i = 0; i < count; i++)
        {
            var g = Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
            w[i] = (float)(rng.Next(50) == 0 ? 8 * g : g) * 0.05f;
        }
        return w;
    }
}

/// <summary>A fresh folder under the system temp folder, deleted on dispose.</summary>
internal sealed class TempDir : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("toolkit-quantize-tests-").FullName;

    public string Sub(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { }
    }
}
