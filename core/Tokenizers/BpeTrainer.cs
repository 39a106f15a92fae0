using System.Runtime.InteropServices;

namespace Toolkit.Core.Tokenizers;

/// <summary>
/// Learns a byte-level BPE vocabulary (Qwen2-style: NFC, Qwen2's split regex, GPT-2 byte alphabet) from lines of text.
/// Start: the 256 byte tokens. Then, until the vocabulary (plus the special tokens) reaches the requested size, merge the
/// most frequent adjacent pair over all pieces, counted with the pieces' frequencies; ties go to the pair whose token
/// strings sort first (ordinal), so the same corpus always gives the same files. Pairs seen fewer than
/// <c>minFrequency</c> times are never merged (default 1, as HF's trainer: every pair may merge); training stops early,
/// with a smaller vocabulary, when no pair is left. Special tokens written in the corpus are cut out before counting,
/// so they never take part in merges.
/// </summary>
public static class BpeTrainer
{
    /// <summary>Qwen2's pre-tokenizer regex (digits one by one): the split the trained tokenizer.json declares.</summary>
    public const string SplitRegex =
        @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    /// <summary>Trains a vocabulary; see the class summary for the method.</summary>
    /// <param name="lines">The corpus, one text per item (join lines yourself to learn merges across newlines).</param>
    /// <param name="vocabSize">Total size including the 256 byte tokens and the special tokens; at least 256 + specials.</param>
    /// <param name="specialTokens">Tokens such as &lt;|endoftext|&gt;, &lt;|im_start|&gt;, &lt;|im_end|&gt;; they get the last ids, in this order.</param>
    /// <param name="minFrequency">A pair must occur at least this often (over all pieces) to be merged; at least 1.</param>
    public static TrainedBpe Train(IEnumerable<string> lines, int vocabSize, IReadOnlyList<string>? specialTokens = null, int minFrequency = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(minFrequency, 1);
        ArgumentNullException.ThrowIfNull(lines);
        var specials = specialTokens ?? [];
        if (specials.Distinct().Count() != specials.Count || specials.Any(string.IsNullOrEmpty))
            throw new ArgumentException("special tokens must be distinct and non-empty", nameof(specialTokens));
        if (vocabSize < 256 + specials.Count)
            throw new ArgumentOutOfRangeException(nameof(vocabSize), vocabSize,
                $"the vocabulary must hold the 256 byte tokens and the {specials.Count} special tokens: ask for at least {256 + specials.Count}");

        // 1) count pieces
        var regex = new CodePointRegex(SplitRegex);
        var splitter = new AddedTokenSplitter(specials.Select((s, i) => new AddedToken(i, s, true)));
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        var sections = new List<(string Text, AddedToken? Token)>();
        var matches = new List<(int Start, int Length)>();
        foreach (var line in lines)
        {
            sections.Clear();
            splitter.Split(line, sections);
            foreach (var (text, token) in sections)
            {
                if (token != null || text.Length == 0) continue;
                var normalized = UnicodeNormalizer.Nfc(text);
                matches.Clear();
                regex.Matches(normalized, matches);
                foreach (var (s, l) in matches)
                {
                    var piece = PreTokenizer.ByteLevel.ToAlphabet(normalized.AsSpan(s, l));
                    CollectionsMarshal.GetValueRefOrAddDefault(counts, piece, out _)++;
                }
            }
        }

        // 2) symbols: byte b has id b
        var tokens = new List<string>(vocabSize);
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var b = 0; b < 256; b++) { tokens.Add(ByteLevelAlphabet.ByteToChar[b].ToString()); ids[tokens[b]] = b; }
        var words = new List<int[]>(counts.Count);
        var freq = new List<long>(counts.Count);
        foreach (var (piece, n) in counts.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            words.Add(piece.Select(c => (int)ByteLevelAlphabet.CharToByte[c]).ToArray());
            freq.Add(n);
        }

        // 3) pair statistics
        var pairCount = new Dictionary<long, long>();
        var pairWords = new Dictionary<long, HashSet<int>>();
        for (var w = 0; w < words.Count; w++) AddPairs(words[w], freq[w], w, pairCount, pairWords);
        var order = Comparer<(long Count, int Left, int Right)>.Create((x, y) =>
        {
            var c = y.Count.CompareTo(x.Count);
            if (c != 0) return c;
            c = string.CompareOrdinal(tokens[x.Left], tokens[y.Left]);
            return c != 0 ? c : string.CompareOrdinal(tokens[x.Right], tokens[y.Right]);
        });
        var heap = new PriorityQueue<long, (long Count, int Left, int Right)>(order);
        foreach (var (pair, n) in pairCount) heap.Enqueue(pair, (n, Left(pair), Right(pair)));

        // 4) merge until the vocabulary is full
        var merges = new List<(string, string)>();
        var target = vocabSize - specials.Count;
        var touched = new HashSet<long>();
        while (tokens.Count < target && heap.TryDequeue(out var best, out var prio))
        {
            if (!pairCount.TryGetValue(best, out var current) || current != prio.Count) continue; // stale entry
            if (current < minFrequency) break;
            var (a, b) = (Left(best), Right(best));
            var merged = tokens[a] + tokens[b];
            if (!ids.TryGetValue(merged, out var newId)) { newId = tokens.Count; tokens.Add(merged); ids[merged] = newId; }
            merges.Add((tokens[a], tokens[b]));
            touched.Clear();
            foreach (var w in pairWords[best].ToArray())
            {
                var word = words[w];
                if (!Contains(word, a, b)) continue;
                RemovePairs(word, freq[w], pairCount, touched);
                words[w] = word = Merge(word, a, b, newId);
                AddPairs(word, freq[w], w, pairCount, pairWords, touched);
            }
            pairCount.Remove(best);
            foreach (var p in touched)
                if (pairCount.TryGetValue(p, out var n) && n > 0) heap.Enqueue(p, (n, Left(p), Right(p)));
        }
        return new TrainedBpe(tokens, merges, specials);
    }

    static long Key(int a, int b) => ((long)a << 32) | (uint)b;
    static int Left(long k) => (int)(k >> 32);
    static int Right(long k) => (int)(uint)k;

    static bool Contains(int[] word, int a, int b)
    {
        for (var i = 0; i + 1 < word.Length; i++) if (word[i] == a && word[i + 1] == b) return true;
        return false;
    }

    static int[] Merge(int[] word, int a, int b, int id)
    {
        var result = new List<int>(word.Length);
        for (var i = 0; i < word.Length; i++)
        {
            if (i + 1 < word.Length && word[i] == a && word[i + 1] == b) { result.Add(id); i++; }
            else result.Add(word[i]);
        }
        return result.ToArray();
    }

    static void AddPairs(int[] word, long n, int w, Dictionary<long, long> pairCount, Dictionary<long, HashSet<int>> pairWords, HashSet<long>? touched = null)
    {
        for (var i = 0; i + 1 < word.Length; i++)
        {
            var k = Key(word[i], word[i + 1]);
            CollectionsMarshal.GetValueRefOrAddDefault(pairCount, k, out _) += n;
            ref var set = ref CollectionsMarshal.GetValueRefOrAddDefault(pairWords, k, out _);
            (set ??= []).Add(w);
            touched?.Add(k);
        }
    }

    static void RemovePairs(int[] word, long n, Dictionary<long, long> pairCount, HashSet<long> touched)
    {
        for (var i = 0; i + 1 < word.Length; i++)
        {
            var k = Key(word[i], word[i + 1]);
            pairCount[k] -= n;
            touched.Add(k);
        }
    }
}
