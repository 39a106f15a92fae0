using Toolkit.Core.Tokenizers;

namespace Toolkit.Core.Tests.Tokenizers;

/// <summary>Our NFC (the runtime's string.Normalize does nothing under InvariantGlobalization), through a tokenizer whose normalizer is NFC.</summary>
public sealed class UnicodeNormalizerTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("tok-nfc-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    Tokenizer Make(string form)
    {
        var path = Path.Combine(_dir, $"{form}.json");
        File.WriteAllText(path, $$$"""{"added_tokens": [], "normalizer": {"type": "{{{form}}}"}, "pre_tokenizer": null, "post_processor": null, "decoder": null, "model": {"type": "BPE", "vocab": {"a": 0}, "merges": []}}""");
        return Tokenizer.FromFile(path);
    }

    [Theory]
    [InlineData("e\u0301", "\u00e9")]                     // compose
    [InlineData("Cafe\u0301 ok", "Caf\u00e9 ok")]
    [InlineData("\u212B", "\u00c5")]                      // singleton: Angstrom sign → Å
    [InlineData("\u1e0b\u0323", "\u1e0d\u0307")]          // UAX #15 example: reorder, then compose with the lower mark
    [InlineData("q\u0307\u0323", "q\u0323\u0307")]        // reorder only (no composite exists)
    [InlineData("\u1100\u1161\u11a8", "\uac01")]          // Hangul L V T → syllable
    [InlineData("\uac00\u11a8", "\uac01")]                // Hangul LV + T
    [InlineData("a\u0308\u0301", "\u00e4\u0301")]       // ä + acute: no composite for ä+´
    [InlineData("plain ASCII and 中文 😀", "plain ASCII and 中文 😀")]
    public void Nfc(string input, string expected) => Assert.Equal(expected, Make("NFC").Normalize(input));

    [Theory]
    [InlineData("\u00c5", "A\u030a")]
    [InlineData("\uac01", "\u1100\u1161\u11a8")]
    [InlineData("\u1ec7", "e\u0323\u0302")]
    public void Nfd(string input, string expected) => Assert.Equal(expected, Make("NFD").Normalize(input));
}
