using System.Text;

namespace Toolkit.Runtime.Generation;

/// <summary>
/// The operator types of an ONNX file's main graph (<c>domain.op_type</c>, "" domain written bare), read by walking
/// the protobuf wire format and seeking over everything else — initializers included — so a model with inline weights
/// costs a few reads, not a parse of its weights. The engine uses it to learn whether attention is ORT's
/// GroupQueryAttention (which derives positions and valid lengths from the mask's row sums) or written out in ops
/// that honour the mask position by position.
/// </summary>
internal static class GraphOps
{
    const int ModelGraph = 7, GraphNode = 1, NodeOpType = 4, NodeDomain = 7;

    /// <summary>Reads <paramref name="onnxPath"/>'s node types.</summary>
    public static HashSet<string> Scan(string onnxPath)
    {
        using var s = new FileStream(onnxPath, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        var ops = new HashSet<string>(StringComparer.Ordinal);
        ForEachField(s, s.Length, (field, length) =>
        {
            if (field != ModelGraph) return false;
            ForEachField(s, s.Position + length, (f, len) =>
            {
                if (f != GraphNode) return false;
                string op = "", domain = "";
                ForEachField(s, s.Position + len, (nf, nlen) =>
                {
                    if (nf == NodeOpType) op = ReadString(s, nlen);
                    else if (nf == NodeDomain) domain = ReadString(s, nlen);
                    else return false;
                    return true;
                });
                ops.Add(domain is "" or "ai.onnx" ? op : $"{domain}.{op}");
                return true;
            });
            return true;
        });
        return ops;
    }

    /// <summary>
    /// Calls <paramref name="onField"/>(field, length) for each length-delimited field up to <paramref name="end"/>,
    /// with the stream at the field's payload; it returns true when it consumed the payload, false to have it skipped.
    /// Scalar fields are skipped here.
    /// </summary>
    static void ForEachField(Stream s, long end, Func<int, long, bool> onField)
    {
        while (s.Position < end)
        {
            var key = ReadVarint(s);
            int field = (int)(key >> 3), wire = (int)(key & 7);
            switch (wire)
            {
                case 0: ReadVarint(s); break;
                case 1: s.Seek(8, SeekOrigin.Current); break;
                case 5: s.Seek(4, SeekOrigin.Current); break;
                case 2:
                    var length = (long)ReadVarint(s);
                    var payloadEnd = s.Position + length;
                    if (!onField(field, length) || s.Position != payloadEnd) s.Position = payloadEnd;
                    break;
                default:
                    throw new InvalidDataException($"{(s as FileStream)?.Name}: not an ONNX protobuf (wire type {wire} at byte {s.Position})");
            }
        }
    }

    static ulong ReadVarint(Stream s)
    {
        ulong v = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            var b = s.ReadByte();
            if (b < 0) throw new EndOfStreamException($"{(s as FileStream)?.Name}: truncated ONNX file");
            v |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0) return v;
        }
        throw new InvalidDataException($"{(s as FileStream)?.Name}: malformed varint");
    }

    static string ReadString(Stream s, long length)
    {
        var bytes = new byte[length];
        s.ReadExactly(bytes);
        return Encoding.UTF8.GetString(bytes);
    }
}
