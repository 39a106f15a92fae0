using System.Diagnostics;
using System.Text.Json;
using Toolkit.Core.Checkpoints;
using Toolkit.Core.Native;
using Toolkit.Runtime.Generation;
using Xunit.Abstractions;

namespace Toolkit.Export.Tests.Generation;

/// <summary>
/// An independent consumer loads our exported folder: transformers.js (@huggingface/transformers in node, with the
/// onnxruntime-node it brings) runs model.onnx and its greedy tokens equal our engine's.
/// </summary>
public sealed class IndependentConsumerTests(GenerationFixture f, ITestOutputHelper output) : IClassFixture<GenerationFixture>
{
    const int NewTokens = 12;

    [Fact]
    public void Transformers_js_generates_the_tokens_our_engine_generates()
    {
        var root = NativeLibraries.RepoRoot() ?? throw new InvalidOperationException("tests run from the checkout");
        var prompts = GenerationFixture.Prompts(5, seed: 7);
        using var dir = new TempDir();
        var checkpoint = dir.Sub("checkpoint");
        Directory.CreateDirectory(checkpoint);
        ModelConfigJson.Write(Path.Combine(checkpoint, "config.json"), f.Torch.Config);   // transformers.js reads config.json
        var idsPath = dir.Sub("ids.json");
        File.WriteAllText(idsPath, JsonSerializer.Serialize(prompts));

        var psi = new ProcessStartInfo("node") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { Path.Combine(root, "tests/oracles/transformersjs_generate.mjs"), f.Folder, checkpoint, idsPath, NewTokens.ToString() })
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi) ?? throw new InvalidOperationException("cannot start node");
        var stdout = p.StandardOutput.ReadToEnd();
        var stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"transformers.js failed ({p.ExitCode}); run `make oracles` if @huggingface/transformers is missing:\n{stderr}");
        var theirs = JsonSerializer.Deserialize<int[][]>(stdout.Trim().Split('\n')[^1])!;

        using var model = new Model(f.Folder, intraOpThreads: 2);
        var same = 0;
        for (var i = 0; i < prompts.Length; i++)
        {
            var gp = new GeneratorParams(model);
            gp.SetSearchOption("max_length", prompts[i].Length + NewTokens);
            gp.SetSearchOption("min_length", prompts[i].Length + NewTokens);   // as transformers.js's min_new_tokens: no early EOS
            using var g = new Generator(model, gp);
            g.AppendTokens(prompts[i]);
            while (!g.IsDone()) g.GenerateNextToken();
            var ours = g.GetSequence(0).ToArray()[prompts[i].Length..];
            Assert.Equal(ours, theirs[i]);
            same++;
        }
        output.WriteLine($"transformers.js: {same}/{prompts.Length} prompts token-identical to our engine over {NewTokens} new tokens");
    }
}
