using System.Runtime.InteropServices;
using Toolkit.Train.Torch.Native;

#pragma warning disable CS8981 // lower-case type names (torch, nn, optim) are deliberate: the TorchSharp surface

namespace Toolkit.Train.Torch;

// Named tensors to and from one file, in torch.save's zip format holding a Dict[str, Tensor]
// (Python: torch.load(path) returns that dict). For model weights shared with other tools, prefer safetensors.
public static partial class torch
{
    /// <summary>Writes <paramref name="tensors"/> (name → tensor, values copied bit-exactly) to <paramref name="path"/>.</summary>
    public static void save(IReadOnlyDictionary<string, Tensor> tensors, string path)
    {
        var entries = tensors.ToArray();
        var names = new nint[entries.Length];
        try
        {
            for (var i = 0; i < entries.Length; i++) names[i] = Marshal.StringToCoTaskMemUTF8(entries[i].Key);
            using var h = new HandleList([.. entries.Select(e => e.Value)]);
            Lib.Check(Lib.tk_io_save(path, names, h.Raw, entries.Length));
        }
        finally
        {
            foreach (var n in names) Marshal.FreeCoTaskMem(n);
        }
    }

    /// <summary>Reads a file written by <see cref="save"/> (or Python's torch.save of a dict of tensors); entries keep file order.</summary>
    public static Dictionary<string, Tensor> load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"tensor file '{path}' not found", path);
        var list = Lib.Check(Lib.tk_io_load(path));
        try
        {
            var n = Lib.tk_io_list_size(list);
            var result = new Dictionary<string, Tensor>((int)n);
            for (long i = 0; i < n; i++)
            {
                var name = Marshal.PtrToStringUTF8(Lib.Check(Lib.tk_io_list_name(list, i)))!;
                result[name] = Tensor.From(Lib.tk_io_list_tensor(list, i));
            }
            return result;
        }
        finally
        {
            Lib.tk_io_list_free(list);
        }
    }
}
