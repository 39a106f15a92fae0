using Toolkit.Core.Tokenizers;

namespace Toolkit.Core.Tests.Tokenizers;

/// <summary>Files this reader cannot use fail with the file, the JSON path and what is supported.</summary>
public sealed class TokenizerErrorTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("tok-errors-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    const string ByteLevelModel = """{"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2}, "merges": ["a b"]}""";

    string Write(string json)
    {
        var path = Path.Combine(_dir, "tokenizer.json");
        File.WriteAllText(path, json);
        return path;
    }

    string File_(string model, string pre = "null", string normalizer = "null", string decoder = "null") =>
        Write($$"""{"version": "1.0", "added_tokens": [], "normalizer": {{normalizer}}, "pre_tokenizer": {{pre}}, "post_processor": null, "decoder": {{decoder}}, "model": """ + model + "}");

    [Theory]
    [InlineData("WordPiece")]
    [InlineData("Unigram")]
    public void Unsupported_model_type_names_file_path_kind_and_what_is_supported(string kind)
    {
        var path = File_("{\"type\": \"" + kind + "\", \"vocab\": {}}");
        var e = Assert.Throws<TokenizerFormatException>(() => Tokenizer.FromFile(path));
        Assert.Equal(path, e.FilePath);
        Assert.Equal("$.model.type", e.JsonPath);
        Assert.Contains(kind, e.Message);
        Assert.Contains("supports model type BPE", e.Message);
    }

    [Fact]
    public void Unsupported_pre_tokenizer_inside_a_sequence_names_its_position()
    {
        var path = File_(ByteLevelModel, pre: """{"type": "Sequence", "pretokenizers": [{"type": "ByteLevel"}, {"type": "Whitespace"}]}""");
        var e = Assert.Throws<TokenizerFormatException>(() => Tokenizer.FromFile(path));
        Assert.Equal("$.pre_tokenizer.pretokenizers[1].type", e.JsonPath);
        Assert.Contains("'Whitespace'", e.Message);
        Assert.Contains("Metaspace", e.Message);
    }

    [Fact]
    public void Untranslatable_regex_says_where_in_the_pattern()
    {
        var path = File_(ByteLevelModel, pre: """{"type": "Split", "pattern": {"Regex": "\\p{Han}+|\\s+"}, "behavior": "Isolated", "invert": false}""");
        var e = Assert.Throws<TokenizerFormatException>(() => Tokenizer.FromFile(path));
        Assert.Equal("$.pre_tokenizer.pattern.Regex", e.JsonPath);
        Assert.Contains("Han", e.Message);
        Assert.Contains("index 0", e.Message);
    }

    [Fact]
    public void Malformed_merge_names_its_index()
    {
        var path = File_("""{"type": "BPE", "vocab": {"a": 0}, "merges": ["a b", "abc"]}""");
        var e = Assert.Throws<TokenizerFormatException>(() => Tokenizer.FromFile(path));
        Assert.Equal("$.model.merges[1]", e.JsonPath);
    }

    [Fact]
    public void Invalid_json_and_missing_file_say_what_to_do()
    {
        var path = Write("{\"model\": ");
        var e = Assert.Throws<TokenizerFormatException>(() => Tokenizer.FromFile(path));
        Assert.Contains("not valid JSON", e.Message);
        var missing = Assert.Throws<FileNotFoundException>(() => Tokenizer.FromFolder(Path.Combine(_dir, "nowhere")));
        Assert.Contains("tokenizer.json", missing.Message);
    }

    [Fact]
    public void Decoding_an_id_outside_the_vocabulary_fails_with_the_range()
    {
        var tok = Tokenizer.FromFile(File_(ByteLevelModel));
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => tok.Decode([0, 7]));
        Assert.Contains("token id 7", e.Message);
        Assert.Equal([2], tok.Encode("ab"));
    }

    [Fact]
    public void Both_merge_layouts_give_the_same_model()
    {
        var strings = Tokenizer.FromFile(File_("""{"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2, "abb": 3}, "merges": ["a b", "ab b"]}"""));
        var s = strings.Encode("abbab");
        var arrays = Tokenizer.FromFile(File_("""{"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2, "abb": 3}, "merges": [["a", "b"], ["ab", "b"]]}"""));
        Assert.Equal([3, 2], s);
        Assert.Equal(s, arrays.Encode("abbab"));
    }
}
