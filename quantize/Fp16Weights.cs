using Toolkit.Core.Onnx;
using DataType = Toolkit.Core.Onnx.TensorProto.Types.DataType;

namespace Toolkit.Quantize;

/// <summary>
/// <c>--dtype fp16</c>: stores the weights the quantizer left unquantized as float16. Each chosen fp32 initializer W
/// (2-D or more: kept MatMul weights and embedding tables; norms, biases and small tables stay fp32) becomes
/// <c>W_fp16</c>, and a <c>Cast(to = FLOAT)</c> node placed first in the graph produces W again under its old name, so
/// every reader (Gather, MatMul, Transpose) is untouched and computes in fp32 as before. ONNX Runtime folds the Cast
/// once at load; the saving is on disk (half the bytes of those weights), and the rounding is fp16's (relative 2^-11).
/// </summary>
static class Fp16Weights
{
    /// <summary>Converts the fp32 initializers named in <paramref name="names"/> (others skipped); returns the names converted.</summary>
    public static List<string> Convert(ModelProto model, IEnumerable<string> names)
    {
        var g = model.Graph;
        var done = new List<string>();
        var at = 0;
        foreach (var name in names.Distinct(StringComparer.Ordinal))
        {
            var t = g.Initializer.FirstOrDefault(x => x.Name == name);
            if (t is null || (DataType)t.DataType != DataType.Float || t.Dims.Count < 2) continue;
            var half = WeightTensor.Floats(name + "_fp16", DataType.Float16, WeightTensor.ReadFloats(t), t.Dims.ToArray());
            g.Initializer[g.Initializer.IndexOf(t)] = half;
            var cast = new NodeProto { Name = name + "/Cast", OpType = "Cast" };
            cast.Input.Add(half.Name);
            cast.Output.Add(name);
            cast.Attribute.Add(OnnxGraph.Attr("to", (long)DataType.Float));
            g.Node.Insert(at++, cast);
            done.Add(name);
        }
        return done;
    }
}
