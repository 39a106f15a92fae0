using System.Text;

namespace Toolkit.Core.Tokenizers;

/// <summary>
/// Canonical Unicode normalization (NFC, NFD) in managed code. The toolkit runs with InvariantGlobalization, where
/// <see cref="string.Normalize()"/> returns its input unchanged, so tokenizers whose normalizer is NFC (Qwen2/3) need their own.
/// Data: <see cref="NfcTables"/> (generated from Python's unicodedata). Algorithm: UAX #15 — full canonical decomposition
/// (Hangul algorithmically), canonical ordering by combining class, then canonical composition for NFC.
/// A quick check returns the input itself when no character in it can change, which is the case for nearly all text.
/// </summary>
static class UnicodeNormalizer
{
    const int SBase = 0xAC00, LBase = 0x1100, VBase = 0x1161, TBase = 0x11A7, LCount = 19, VCount = 21, TCount = 28;
    const int NCount = VCount * TCount, SCount = LCount * NCount;

    static readonly Dictionary<int, (int First, int Second)> Decomp = [];
    static readonly Dictionary<int, byte> Ccc = [];
    static readonly Dictionary<long, int> Compose = [];
    // BMP code points that may change under NFC/NFD (have a decomposition, a non-zero class, or compose with a predecessor).
    static readonly bool[] MaybeBmp = new bool[0x10000];
    static readonly HashSet<int> MaybeSupplementary = [];

    static UnicodeNormalizer()
    {
        var d = NfcTables.Decompositions;
        for (var i = 0; i < d.Length; i += 3) { Decomp[d[i]] = (d[i + 1], d[i + 2]); Mark(d[i]); }
        var c = NfcTables.CombiningClasses;
        for (var i = 0; i < c.Length; i += 3)
            for (var cp = c[i]; cp <= c[i + 1]; cp++) { Ccc[cp] = (byte)c[i + 2]; Mark(cp); }
        var k = NfcTables.Compositions;
        for (var i = 0; i < k.Length; i += 3) { Compose[Key(k[i], k[i + 1])] = k[i + 2]; Mark(k[i + 1]); }
        for (var cp = SBase; cp < SBase + SCount; cp++) MaybeBmp[cp] = true;
        for (var cp = VBase; cp < VBase + VCount; cp++) MaybeBmp[cp] = true;
        for (var cp = TBase + 1; cp < TBase + TCount; cp++) MaybeBmp[cp] = true;
    }

    static void Mark(int cp)
    {
        if (cp < 0x10000) MaybeBmp[cp] = true;
        else MaybeSupplementary.Add(cp);
    }

    static long Key(int a, int b) => ((long)a << 21) | (uint)b;

    /// <summary>True when no character of <paramref name="s"/> can be changed by NFC (or NFD, <paramref name="compose"/> false).
    /// Below U+0300 nothing changes under NFC (precomposed Latin-1 letters stay, combining marks start at U+0300), and
    /// below U+00C0 nothing changes under NFD.</summary>
    static bool QuickCheck(string s, bool compose)
    {
        var floor = compose ? 0x300 : 0xC0;
        for (var i = 0; i < s.Length; i++)
        {
            var ch = s[i];
            if (ch < floor) continue;
            if (char.IsHighSurrogate(ch) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]))
            {
                if (MaybeSupplementary.Contains(char.ConvertToUtf32(ch, s[i + 1]))) return false;
                i++;
            }
            else if (MaybeBmp[ch]) return false;
        }
        return true;
    }

    public static string Nfc(string s) => QuickCheck(s, compose: true) ? s : Run(s, compose: true);

    public static string Nfd(string s) => QuickCheck(s, compose: false) ? s : Run(s, compose: false);

    static string Run(string s, bool compose)
    {
        // 1) full canonical decomposition
        var cps = new List<int>(s.Length + 8);
        foreach (var rune in s.EnumerateRunes()) DecomposeInto(rune.Value, cps);
        // 2) canonical ordering: stable sort each run of non-starters by combining class
        for (var i = 1; i < cps.Count; i++)
        {
            var cc = ClassOf(cps[i]);
            if (cc == 0) continue;
            var j = i;
            while (j > 0 && ClassOf(cps[j - 1]) > cc) { (cps[j - 1], cps[j]) = (cps[j], cps[j - 1]); j--; }
        }
        if (compose) ComposeInPlace(cps);
        var sb = new StringBuilder(cps.Count + 8);
        foreach (var cp in cps) sb.Append(char.ConvertFromUtf32(cp));
        return sb.ToString();
    }

    static int ClassOf(int cp) => Ccc.TryGetValue(cp, out var c) ? c : 0;

    static void DecomposeInto(int cp, List<int> output)
    {
        if (cp >= SBase && cp < SBase + SCount)
        {
            var si = cp - SBase;
            output.Add(LBase + si / NCount);
            output.Add(VBase + si % NCount / TCount);
            if (si % TCount != 0) output.Add(TBase + si % TCount);
            return;
        }
        if (Decomp.TryGetValue(cp, out var d))
        {
            DecomposeInto(d.First, output);
            if (d.Second != 0) DecomposeInto(d.Second, output);
            return;
        }
        output.Add(cp);
    }

    // UAX #15 canonical composition: a character combines with the last starter unless blocked by one of equal or higher class.
    static void ComposeInPlace(List<int> cps)
    {
        if (cps.Count == 0) return;
        var starterIndex = ClassOf(cps[0]) == 0 ? 0 : -1;
        var lastClass = starterIndex == 0 ? 0 : 256;
        var write = 1;
        for (var read = 1; read < cps.Count; read++)
        {
            var cp = cps[read];
            var cc = ClassOf(cp);
            if (starterIndex >= 0 && (lastClass < cc || lastClass == 0 && write - 1 == starterIndex)
                && TryCompose(cps[starterIndex], cp, out var composite))
            {
                cps[starterIndex] = composite;
                continue;
            }
            if (cc == 0) { starterIndex = write; lastClass = 0; }
            else lastClass = cc;
            cps[write++] = cp;
        }
        cps.RemoveRange(write, cps.Count - write);
    }

    static bool TryCompose(int a, int b, out int composite)
    {
        if (a >= LBase && a < LBase + LCount && b >= VBase && b < VBase + VCount)
        {
            composite = SBase + ((a - LBase) * VCount + (b - VBase)) * TCount;
            return true;
        }
        if (a >= SBase && a < SBase + SCount && (a - SBase) % TCount == 0 && b > TBase && b < TBase + TCount)
        {
            composite = a + (b - TBase);
            return true;
        }
        return Compose.TryGetValue(Key(a, b), out composite);
    }
}
