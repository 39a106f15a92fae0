using System.Globalization;
using System.Text;

namespace Toolkit.Core.Tokenizers;

/// <summary>
/// A tokenizer.json <c>decoder</c>: turns the token strings of a sequence back into text. Each step maps a list of
/// strings to a list of strings (the Rust crate's <c>decode_chain</c>); the results are concatenated.
/// </summary>
abstract class Decoder
{
    /// <summary>Rewrites <paramref name="tokens"/>; <paramref name="added"/> holds the added tokens' contents, which byte-level decoding passes through unchanged.</summary>
    public abstract List<string> DecodeChain(List<string> tokens, IReadOnlySet<string> added);

    /// <summary>True when the chain decodes byte-level BPE tokens (a ByteLevel step): decoding is then the exact inverse of encoding.</summary>
    public virtual bool IsByteLevel => false;

    const string Supported = "ByteLevel, ByteFallback, Fuse, Replace, Strip, Metaspace, Sequence";

    public static Decoder? FromJson(JsonAt node)
    {
        if (node.IsNull) return null;
        var type = node.Type();
        return type switch
        {
            "ByteLevel" => new ByteLevel(),
            "ByteFallback" => new ByteFallback(),
            "Fuse" => new Fuse(),
            "Replace" => new Replace(TextPattern.FromJson(node["pattern"]), node["content"].String()),
            "Strip" => new Strip(node["content"].String(), node["start"].Int(0), node["stop"].Int(0)),
            "Metaspace" => new Metaspace(node.Has("replacement") ? node["replacement"].String() : "\u2581",
                node.Has("prepend_scheme") ? node["prepend_scheme"].String() != "never" : node["add_prefix_space"].Bool(true)),
            "Sequence" => new Sequence(node["decoders"].Items().Select(FromJson).OfType<Decoder>().ToArray()),
            _ => throw node["type"].Unsupported("decoder", type, Supported),
        };
    }

    /// <summary>Byte-level tokens → their bytes → UTF-8 text (invalid sequences become U+FFFD); added tokens as they are.</summary>
    sealed class ByteLevel : Decoder
    {
        public override bool IsByteLevel => true;

        public override List<string> DecodeChain(List<string> tokens, IReadOnlySet<string> added)
        {
            var result = new List<string>();
            var bytes = new List<byte>();
            foreach (var t in tokens)
            {
                if (added.Contains(t))
                {
                    Flush(bytes, result);
                    result.Add(t);
                }
                else if (!ByteLevelAlphabet.TryAppendBytes(t, bytes)) bytes.AddRange(Encoding.UTF8.GetBytes(t));
            }
            Flush(bytes, result);
            return result;
        }

        static void Flush(List<byte> bytes, List<string> result)
        {
            if (bytes.Count == 0) return;
            result.Add(Encoding.UTF8.GetString(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(bytes)));
            bytes.Clear();
        }
    }

    /// <summary>Runs of &lt;0xNN&gt; tokens → their bytes → UTF-8 text.</summary>
    sealed class ByteFallback : Decoder
    {
        public override List<string> DecodeChain(List<string> tokens, IReadOnlySet<string> added)
        {
            var result = new List<string>(tokens.Count);
            var bytes = new List<byte>();
            foreach (var t in tokens)
            {
                if (t.Length == 6 && t.StartsWith("<0x", StringComparison.Ordinal) && t[5] == '>'
                    && byte.TryParse(t.AsSpan(3, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var b))
                {
                    bytes.Add(b);
                    continue;
                }
                if (bytes.Count > 0) { result.Add(Encoding.UTF8.GetString(bytes.ToArray())); bytes.Clear(); }
                result.Add(t);
            }
            if (bytes.Count > 0) result.Add(Encoding.UTF8.GetString(bytes.ToArray()));
            return result;
        }
    }

    sealed class Fuse : Decoder
    {
        public override List<string> DecodeChain(List<string> tokens, IReadOnlySet<string> added) => [string.Concat(tokens)];
    }

    sealed class Replace(TextPattern pattern, string content) : Decoder
    {
        public override List<string> DecodeChain(List<string> tokens, IReadOnlySet<string> added) =>
            tokens.Select(t => pattern.Replace(t, content)).ToList();
    }

    /// <summary>Removes up to <c>start</c> leading and <c>stop</c> trailing copies of one character from every token.</summary>
    sealed class Strip(string content, int start, int stop) : Decoder
    {
        public override List<string> DecodeChain(List<string> tokens, IReadOnlySet<string> added)
        {
            if (content.Length != 1) return tokens;
            var c = content[0];
            return tokens.Select(t =>
            {
                var s = 0;
                while (s < start && s < t.Length && t[s] == c) s++;
                var e = t.Length;
                while (t.Length - e < stop && e > s && t[e - 1] == c) e--;
                return t[s..e];
            }).ToList();
        }
    }

    /// <summary>▁ → space; the first token loses its leading space when a prefix space was added while encoding.</summary>
    sealed class Metaspace(string replacement, bool stripFirst) : Decoder
    {
        public override List<string> DecodeChain(List<string> tokens, IReadOnlySet<string> added)
        {
            var result = new List<string>(tokens.Count);
            for (var i = 0; i < tokens.Count; i++)
            {
                var t = tokens[i].Replace(replacement, " ", StringComparison.Ordinal);
                if (i == 0 && stripFirst && t.StartsWith(' ')) t = t[1..];
                result.Add(t);
            }
            return result;
        }
    }

    sealed class Sequence(Decoder[] steps) : Decoder
    {
        public override bool IsByteLevel => steps.Any(s => s.IsByteLevel);

        public override List<string> DecodeChain(List<string> tokens, IReadOnlySet<string> added)
        {
            foreach (var s in steps) tokens = s.DecodeChain(tokens, added);
            return tokens;
        }
    }
}
