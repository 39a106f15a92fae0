using System.Text;
using Toolkit.Core.Checkpoints;
using Toolkit.Core.Onnx;
using Toolkit.Core.Tokenizers;

namespace Toolkit.Core.Tests.Fuzz;

/// <summary>
/// The cases ParserFuzzTests found, pinned: invalid UTF-8 bytes and unpaired surrogate escapes inside the JSON of a
/// safetensors header, tokenizer.json, genai_config.json or config.json were a raw InvalidOperationException
/// ("Cannot transcode invalid UTF-8 JSON text"); each is now our exception naming the file.
/// </summary>
public sealed class FoundByFuzzTests : IDisposable
{
    readonly string dir = Directory.CreateTempSubdirectory("tk-found-").FullName;

    public void Dispose() => Directory.Delete(dir, true);

    string Write(string name, byte[] bytes)
    {
        var path = Path.Combine(dir, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    static byte[] WithByte(string json, byte bad) => [.. Encoding.UTF8.GetBytes(json).Select(b => b == (byte)'@' ? bad : b)];

    [Theory]
    [InlineData("{\"@\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0, 4]}}", (byte)0x80)]
    [InlineData("{\"\\ud800\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0, 4]}}", (byte)'@')]
    [InlineData("{\"__metadata__\": {\"format\": \"\\udc00\"}, \"a\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0, 4]}}", (byte)'@')]
    public void Safetensors_header(string header, byte bad)
    {
        var json = WithByte(header, bad);
        var bytes = BitConverter.GetBytes((ulong)json.Length).Concat(json).Concat(new byte[4]).ToArray();
        var path = Write("m.safetensors", bytes);
        var e = Assert.Throws<SafetensorsException>(() => SafetensorsFile.Open(path).Dispose());
        Assert.Equal(path, e.FilePath);
    }

    [Theory]
    [InlineData("{\"model\": {\"type\": \"BPE@\"}}", (byte)0xC4)]
    [InlineData("{\"version\": \"1.0\", \"added_tokens\": [{\"id\": 0, \"content\": \"\\ud800\", \"special\": true}], \"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}, \"merges\": []}}", (byte)'@')]
    public void Tokenizer_json(string json, byte bad)
    {
        var path = Write("tokenizer.json", WithByte(json, bad));
        var e = Assert.Throws<TokenizerFormatException>(() => Tokenizer.FromFile(path));
        Assert.Equal(path, e.FilePath);
    }

    [Theory]
    [InlineData("{\"model\": {\"type\": \"llama@\"}}", (byte)0x80)]
    [InlineData("{\"model\": {\"type\": \"\\ud800\"}}", (byte)'@')]
    public void Genai_config_json(string json, byte bad)
    {
        var path = Write(GenAiConfig.FileName, WithByte(json, bad));
        var e = Assert.Throws<OnnxException>(() => GenAiConfigJson.Read(path));
        Assert.Equal(path, e.FilePath);
    }

    [Fact]
    public void Config_json() =>
        Assert.Equal(Write("config.json", WithByte("{\"model_type\": \"llama@\"}", 0xFF)),
            Assert.Throws<CheckpointException>(() => ModelConfigJson.Read(Path.Combine(dir, "config.json"))).FilePath);
}
