namespace Toolkit.Core.Tokenizers;

/// <summary>
/// GPT-2's byte ↔ character table: every byte value maps to a printable character (printable Latin-1 bytes map to
/// themselves, the other 68 to U+0100..U+0143), so a byte-level BPE vocabulary is made of ordinary strings:
/// a space byte is 'Ġ' (U+0120), a newline 'Ċ' (U+010A).
/// </summary>
static class ByteLevelAlphabet
{
    /// <summary>Byte value → its character.</summary>
    public static readonly char[] ByteToChar = Build();

    /// <summary>Character → its byte value, or -1 for characters outside the alphabet (indexed by char, 0..0x143).</summary>
    public static readonly short[] CharToByte = Invert(ByteToChar);

    static char[] Build()
    {
        var table = new char[256];
        var next = 256;
        for (var b = 0; b < 256; b++)
        {
            var printable = b is >= '!' and <= '~' or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF;
            table[b] = printable ? (char)b : (char)next++;
        }
        return table;
    }

    static short[] Invert(char[] byteToChar)
    {
        var inverse = new short[0x144];
        Array.Fill(inverse, (short)-1);
        for (var b = 0; b < 256; b++) inverse[byteToChar[b]] = (short)b;
        return inverse;
    }

    /// <summary>True when every character of <paramref name="token"/> is in the alphabet; then its bytes are appended to <paramref name="output"/>.</summary>
    public static bool TryAppendBytes(string token, List<byte> output)
    {
        foreach (var c in token)
            if (c >= CharToByte.Length || CharToByte[c] < 0) return false;
        foreach (var c in token) output.Add((byte)CharToByte[c]);
        return true;
    }
}
