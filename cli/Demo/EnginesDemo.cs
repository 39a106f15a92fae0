using Microsoft.ML.OnnxRuntime;
using Spectre.Console;
using Toolkit.Core.Onnx;
using Toolkit.Runtime.Ort;
using TorchSharp;
using static TorchSharp.torch;
using TorchSharp.Modules;
using Toolkit.Train.Engine;
using DataType = Toolkit.Core.Onnx.TensorProto.Types.DataType;

namespace Toolkit.Cli.Demo;

/// <summary>
/// Demo step 1: both engines. A two-layer MLP learns y = sin(x) with AdamW on libtorch; its weights are then written
/// as an ONNX graph (MatMul → Add → Relu → MatMul → Add) and run on ONNX Runtime, and the two engines' outputs compared.
/// </summary>
static class EnginesDemo
{
    public static void Run(string workDir)
    {
        torch.manual_seed(0);
        using var w1 = new Parameter(torch.randn([1, 32]).mul(0.5));   // (1, 32)
        using var b1 = new Parameter(torch.zeros([32]));
        using var w2 = new Parameter(torch.randn([32, 1]).mul(0.2));   // (32, 1)
        using var b2 = new Parameter(torch.zeros([1]));
        Parameter[] parameters = [w1, b1, w2, b2];
        using var opt = torch.optim.AdamW(parameters, lr: 0.02, weight_decay: 0.0);
        using var x = torch.arange(-3.0, 3.0, 0.05, ScalarType.Float32).unsqueeze(1);  // (N, 1)
        using var y = x.sin();

        Tensor Mlp(Tensor input) => input.Matmul(w1).add(b1).relu().Matmul(w2).add(b2);

        var table = new Table().AddColumn("step").AddColumn("MSE loss");
        double first = 0, last = 0;
        for (var step = 1; step <= 300; step++)
        {
            using var scope = torch.NewDisposeScope();
            opt.zero_grad();
            var loss = Mlp(x).sub(y).pow(2).mean();
            loss.backward();
            opt.step();
            last = loss.item<float>();
            if (step == 1) first = last;
            if (step == 1 || step % 60 == 0) table.AddRow(step.ToString(), $"{last:F5}");
        }
        AnsiConsole.MarkupLine($"[bold]libtorch[/] {torch.get_num_threads()} threads: a 1→32→1 MLP fits sin(x) with AdamW, loss {first:F4} → {last:F5}");
        AnsiConsole.Write(table);

        // The same function as an ONNX graph, run on ONNX Runtime.
        var path = Path.Combine(workDir, "mlp.onnx");
        OnnxModelWriter.Save(MlpGraph(w1, b1, w2, b2), path);
        using var session = Sessions.Open(path);
        var xs = x.data<float>().ToArray();
        using var input = OrtValue.CreateTensorValueFromMemory(xs, [xs.Length, 1]);
        using var run = new RunOptions();
        using var outputs = session.Run(run, new Dictionary<string, OrtValue> { ["x"] = input }, ["y"]);
        var ort = outputs[0].GetTensorDataAsSpan<float>().ToArray();
        float[] expected;
        using (torch.no_grad())
        using (var scope = torch.NewDisposeScope())
            expected = Mlp(x).data<float>().ToArray();
        var diff = ort.Zip(expected, (a, b) => Math.Abs(a - b)).Max();
        AnsiConsole.MarkupLine($"[bold]ONNX Runtime[/] ran {path} on {xs.Length} inputs: max |diff| vs libtorch = {diff:E2}");
        if (diff > 1e-5) throw new InvalidOperationException($"ONNX Runtime and libtorch disagree on the MLP: max |diff| {diff}");
    }

    /// <summary>The MLP's forward as an ONNX graph: y = relu(x·w1 + b1)·w2 + b2, x (N, 1).</summary>
    static ModelProto MlpGraph(Tensor w1, Tensor b1, Tensor w2, Tensor b2)
    {
        var g = new OnnxGraph("mlp");
        OnnxValue Weight(string name, Tensor t) => g.Initializer(name, t.detach().data<float>().ToArray(), t.shape);
        var x = g.Input("x", DataType.Float, "n", 1L);
        var h = g.Op("Relu", [g.Add(g.MatMul(x, Weight("w1", w1)), Weight("b1", b1))]);
        g.Output(g.Add(g.MatMul(h, Weight("w2", w2)), Weight("b2", b2)), "y", DataType.Float, "n", 1L);
        return g.ToModel("toolkit-demo");
    }
}
