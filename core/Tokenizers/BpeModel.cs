using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;

namespace Toolkit.Core.Tokenizers;

/// <summary>
/// The BPE model of a tokenizer.json: vocabulary, merges by rank, and the options byte-level (GPT-2, Qwen, Llama-3) and
/// SentencePiece-style (Llama-2, Mistral, Gemma) files use: <c>ignore_merges</c>, <c>byte_fallback</c> (<c>&lt;0xNN&gt;</c>
/// tokens for characters outside the vocabulary), <c>unk_token</c>, <c>fuse_unk</c>. A piece is encoded by starting from
/// its characters and repeatedly applying the lowest-ranked merge, leftmost first. Results are cached per piece.
/// </summary>
sealed class BpeModel
{
    readonly record struct Merge(int Rank, int Result);

    const int VirtualBase = 1 << 30;      // ids of strings that merges mention but the vocabulary lacks
    const int MaxCachedLength = 256;
    const int CacheCapacity = 200_000;

    readonly Dictionary<string, int> _tokenToId;
    readonly Dictionary<long, Merge> _merges = new(PairComparer.Instance);
    readonly List<string> _virtual = [];
    readonly Dictionary<string, int> _virtualIds = new(StringComparer.Ordinal);
    readonly int[] _bmpChar = new int[0x10000];
    readonly Dictionary<int, int> _supplementaryChar = [];
    readonly int[]? _byteFallback;         // id of <0xNN> for each byte, or null when byte_fallback is off or a byte token is missing
    readonly bool _byteFallbackOn;
    readonly bool _ignoreMerges;
    readonly bool _fuseUnk;
    readonly ConcurrentDictionary<string, int[]> _cache = new(StringComparer.Ordinal);
    int _cacheCount; // ConcurrentDictionary.Count takes every lock: keep our own (approximate under races, which is fine)

    /// <summary>The unknown token's id, or -1 when the model has none.</summary>
    public int UnkId { get; }

    /// <summary>Model vocabulary (token → id), extended with the added tokens as the reference implementations do.</summary>
    public IReadOnlyDictionary<string, int> Vocab => _tokenToId;

    public BpeModel(JsonAt model, IEnumerable<AddedToken> addedTokens)
    {
        var type = model.Has("type") ? model.Type() : "BPE";
        if (type != "BPE")
            throw new TokenizerFormatException(model.File, model.Path + ".type", $"model type '{type}' is not supported",
                "this reader supports model type BPE only (byte-level as in GPT-2/Qwen/Llama-3, or SentencePiece-style with byte_fallback as in Llama-2/Gemma); WordPiece, Unigram and WordLevel models are not implemented");
        foreach (var field in new[] { "continuing_subword_prefix", "end_of_word_suffix" })
            if (model[field].StringOrNull() is { Length: > 0 } v)
                throw new TokenizerFormatException(model.File, $"{model.Path}.{field}", $"BPE {field} '{v}' is not supported",
                    $"this reader supports BPE models without {field} (null or \"\"), as GPT-2, Qwen, Llama and Gemma use");
        if (model["dropout"].Kind == JsonValueKind.Number && model["dropout"].Element.GetDouble() > 0)
            throw new TokenizerFormatException(model.File, model.Path + ".dropout", "BPE dropout is not supported",
                "set \"dropout\": null; dropout is a training-time regularizer, not used at inference");

        var vocab = model["vocab"];
        vocab.Expect(JsonValueKind.Object);
        _tokenToId = new Dictionary<string, int>(vocab.Element.GetPropertyCount() + 1024, StringComparer.Ordinal);
        foreach (var p in vocab.Element.EnumerateObject())
        {
            if (p.Value.ValueKind != JsonValueKind.Number || !p.Value.TryGetInt32(out var id) || id < 0)
                throw new JsonAt(p.Value, model.File, $"{vocab.Path}[{JsonSerializer.Serialize(p.Name)}]").Bad("a vocabulary id must be a non-negative integer");
            _tokenToId[p.Name] = id;
        }
        foreach (var a in addedTokens) _tokenToId[a.Content] = a.Id;

        _ignoreMerges = model["ignore_merges"].Bool(false);
        _fuseUnk = model["fuse_unk"].Bool(false);
        var unk = model["unk_token"].StringOrNull();
        UnkId = unk != null && _tokenToId.TryGetValue(unk, out var u) ? u : -1;
        _byteFallbackOn = model["byte_fallback"].Bool(false);
        if (_byteFallbackOn)
        {
            _byteFallback = new int[256];
            for (var b = 0; b < 256; b++)
            {
                if (_tokenToId.TryGetValue($"<0x{b:X2}>", out var id)) _byteFallback[b] = id;
                else { _byteFallback = null; break; }
            }
        }

        ReadMerges(model["merges"]);
        Array.Fill(_bmpChar, -1);
        foreach (var (token, id) in _tokenToId) IndexCharacter(token, id);
        for (var i = 0; i < _virtual.Count; i++) IndexCharacter(_virtual[i], VirtualBase + i);
    }

    void IndexCharacter(string token, int id)
    {
        if (token.Length == 1 && !char.IsSurrogate(token[0])) { if (_bmpChar[token[0]] < 0) _bmpChar[token[0]] = id; }
        else if (token.Length == 2 && char.IsSurrogatePair(token[0], token[1])) _supplementaryChar.TryAdd(char.ConvertToUtf32(token[0], token[1]), id);
    }

    void ReadMerges(JsonAt merges)
    {
        if (merges.IsNull) return;
        merges.Expect(JsonValueKind.Array);
        var rank = 0;
        foreach (var e in merges.Element.EnumerateArray())
        {
            string a, b;
            if (e.ValueKind == JsonValueKind.String)
            {
                // "a b": both tokens, one space between (the older layout)
                var s = e.GetString()!;
                var sp = s.IndexOf(' ');
                if (sp <= 0 || sp == s.Length - 1 || s.IndexOf(' ', sp + 1) >= 0)
                    throw new JsonAt(e, merges.File, $"{merges.Path}[{rank}]").Bad($"merge \"{s}\" is not two tokens separated by one space");
                a = s[..sp];
                b = s[(sp + 1)..];
            }
            else if (e.ValueKind == JsonValueKind.Array && e.GetArrayLength() == 2
                     && e[0].ValueKind == JsonValueKind.String && e[1].ValueKind == JsonValueKind.String)
            {
                a = e[0].GetString()!;
                b = e[1].GetString()!;
            }
            else throw new JsonAt(e, merges.File, $"{merges.Path}[{rank}]").Bad("a merge must be \"a b\" or [\"a\", \"b\"]");
            var key = Key(Id(a), Id(b));
            _merges.TryAdd(key, new Merge(rank, Id(a + b)));
            rank++;
        }
    }

    int Id(string token)
    {
        if (_tokenToId.TryGetValue(token, out var id)) return id;
        if (_virtualIds.TryGetValue(token, out id)) return id;
        id = VirtualBase + _virtual.Count;
        _virtual.Add(token);
        _virtualIds[token] = id;
        return id;
    }

    static long Key(int a, int b) => ((long)a << 32) | (uint)b;

    /// <summary>long's own hash is hi ^ lo, which for (left id, right id) pairs under 2^18 leaves ~2^18 distinct hashes for
    /// 500k merges and long collision chains; a multiplicative (Fibonacci) hash spreads them.</summary>
    sealed class PairComparer : IEqualityComparer<long>
    {
        public static readonly PairComparer Instance = new();
        public bool Equals(long x, long y) => x == y;
        public int GetHashCode(long k) => (int)((ulong)k * 0x9E3779B97F4A7C15UL >> 32);
    }

    /// <summary>Encodes the pieces of one section, appending ids; consecutive unknown tokens are fused when <c>fuse_unk</c> is set.</summary>
    public void Encode(List<string> pieces, List<int> output)
    {
        var start = output.Count;
        foreach (var piece in pieces) EncodePiece(piece, output);
        if (_fuseUnk && UnkId >= 0)
        {
            var w = start;
            for (var r = start; r < output.Count; r++)
                if (!(output[r] == UnkId && w > start && output[w - 1] == UnkId)) output[w++] = output[r];
            output.RemoveRange(w, output.Count - w);
        }
    }

    void EncodePiece(string piece, List<int> output)
    {
        if (piece.Length == 0) return;
        if (_ignoreMerges && _tokenToId.TryGetValue(piece, out var whole)) { output.Add(whole); return; }
        if (_cache.TryGetValue(piece, out var cached)) { output.AddRange(cached); return; }

        var symbols = piece.Length <= 256 ? stackalloc int[piece.Length] : new int[piece.Length];
        List<string>? unknown = null;
        var n = 0;
        for (var i = 0; i < piece.Length; i++)
        {
            var c = piece[i];
            int id;
            if (char.IsHighSurrogate(c) && i + 1 < piece.Length && char.IsLowSurrogate(piece[i + 1]))
            {
                var cp = char.ConvertToUtf32(c, piece[i + 1]);
                if (!_supplementaryChar.TryGetValue(cp, out id)) id = Unknown(ref unknown, piece.Substring(i, 2));
                i++;
            }
            else
            {
                id = _bmpChar[c];
                if (id < 0) id = Unknown(ref unknown, c.ToString());
            }
            symbols[n++] = id;
        }
        n = n <= 256 ? MergeByScan(symbols[..n]) : MergeByHeap(symbols[..n]);

        var first = output.Count;
        for (var i = 0; i < n; i++)
        {
            var id = symbols[i];
            if (id >= 0 && id < VirtualBase) output.Add(id);
            else Fallback(id < 0 ? unknown![-id - 1] : _virtual[id - VirtualBase], output);
        }
        if (piece.Length < MaxCachedLength)
        {
            if (_cacheCount >= CacheCapacity) { _cache.Clear(); _cacheCount = 0; }
            if (_cache.TryAdd(piece, output.GetRange(first, output.Count - first).ToArray())) Interlocked.Increment(ref _cacheCount);
        }
    }

    static int Unknown(ref List<string>? unknown, string text)
    {
        unknown ??= [];
        unknown.Add(text);
        return -unknown.Count;
    }

    // A token outside the vocabulary: its UTF-8 bytes as <0xNN> tokens (byte_fallback), else the unknown token, else nothing.
    void Fallback(string token, List<int> output)
    {
        if (_byteFallbackOn && _byteFallback != null)
        {
            foreach (var b in Encoding.UTF8.GetBytes(token)) output.Add(_byteFallback[b]);
            return;
        }
        if (UnkId >= 0) output.Add(UnkId);
    }

    // Pieces up to 256 symbols: the rank of every adjacent pair kept in an array; each step takes the lowest rank (leftmost
    // on ties), merges it and looks up only the two pairs that changed. Two hash lookups per merge, a linear scan of ints.
    int MergeByScan(Span<int> s)
    {
        var n = s.Length;
        if (n < 2) return n;
        Span<int> rank = stackalloc int[n];
        Span<int> result = stackalloc int[n];
        for (var i = 0; i + 1 < n; i++) Lookup(s[i], s[i + 1], out rank[i], out result[i]);
        while (n > 1)
        {
            var best = 0;
            for (var i = 1; i < n - 1; i++) if (rank[i] < rank[best]) best = i;
            if (rank[best] == int.MaxValue) break;
            s[best] = result[best];
            // drop symbol best+1 and the pair that started at it
            s[(best + 2)..n].CopyTo(s[(best + 1)..]);
            if (best + 2 < n - 1)
            {
                rank[(best + 2)..(n - 1)].CopyTo(rank[(best + 1)..]);
                result[(best + 2)..(n - 1)].CopyTo(result[(best + 1)..]);
            }
            n--;
            if (best > 0) Lookup(s[best - 1], s[best], out rank[best - 1], out result[best - 1]);
            if (best + 1 < n) Lookup(s[best], s[best + 1], out rank[best], out result[best]);
        }
        return n;
    }

    void Lookup(int left, int right, out int rank, out int result)
    {
        if (_merges.TryGetValue(Key(left, right), out var m)) { rank = m.Rank; result = m.Result; }
        else { rank = int.MaxValue; result = -1; }
    }

    // O(n log n) over long pieces (SentencePiece-style files make a whole line one piece): a linked list of symbols and a
    // heap of candidate merges keyed by (rank, position), so the order of merges is the same as MergeByScan's.
    int MergeByHeap(Span<int> s)
    {
        var n = s.Length;
        var next = new int[n];
        var prev = new int[n];
        var alive = new bool[n];
        var heap = new PriorityQueue<int, long>();
        for (var i = 0; i < n; i++) { next[i] = i + 1 < n ? i + 1 : -1; prev[i] = i - 1; alive[i] = true; }
        for (var i = 0; i + 1 < n; i++) Push(heap, s, i, i + 1);
        while (heap.TryDequeue(out var pos, out var priority))
        {
            var nx = next[pos];
            if (!alive[pos] || nx < 0) continue;
            if (!_merges.TryGetValue(Key(s[pos], s[nx]), out var m) || m.Rank != (int)(priority >> 32)) continue;
            s[pos] = m.Result;
            alive[nx] = false;
            next[pos] = next[nx];
            if (next[pos] >= 0) prev[next[pos]] = pos;
            if (prev[pos] >= 0) Push(heap, s, prev[pos], pos);
            if (next[pos] >= 0) Push(heap, s, pos, next[pos]);
        }
        var w = 0;
        for (var i = 0; i >= 0 && i < n; i = next[i]) s[w++] = s[i];
        return w;
    }

    void Push(PriorityQueue<int, long> heap, Span<int> s, int left, int right)
    {
        if (_merges.TryGetValue(Key(s[left], s[right]), out var m)) heap.Enqueue(left, ((long)m.Rank << 32) | (uint)left);
    }
}
