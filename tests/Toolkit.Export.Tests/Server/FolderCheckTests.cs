using System.Text.Json.Nodes;
using Toolkit.Core.Onnx;
using Toolkit.Runtime.Server;

namespace Toolkit.Export.Tests.Server;

/// <summary>
/// The genai_config.json-vs-graph check passes on a folder `toolkit export` wrote, and refuses the same folder with
/// num_hidden_layers one short (which the engine would answer with "Missing Input: past_key_values.N.value" on every
/// request), naming the file and the field; serve refuses to start on it.
/// </summary>
[Collection(ServerCollection.Name)]
public sealed class FolderCheckTests(ServerFixture f)
{
    [Fact]
    public async Task An_exported_folder_passes_and_a_config_one_layer_short_is_refused_naming_the_field()
    {
        GenAiGraphCheck.Validate(f.Folder);

        var dir = Directory.CreateTempSubdirectory("tk-genai-check-");
        try
        {
            foreach (var file in Directory.GetFiles(f.Folder)) File.Copy(file, Path.Combine(dir.FullName, Path.GetFileName(file)));
            var path = Path.Combine(dir.FullName, GenAiConfig.FileName);
            var config = JsonNode.Parse(File.ReadAllText(path))!;
            var layers = config["model"]!["decoder"]!["num_hidden_layers"]!.GetValue<int>();
            config["model"]!["decoder"]!["num_hidden_layers"] = layers - 1;
            File.WriteAllText(path, config.ToJsonString());
            var e = Assert.Throws<OnnxException>(() => GenAiGraphCheck.Validate(dir.FullName));
            Assert.Contains($"{path}: field 'model.decoder.num_hidden_layers' is {layers - 1}, but model.onnx has {layers} layers", e.Message);

            // serve refuses to start on it (instead of answering 500 to every request)
            var start = await Assert.ThrowsAsync<OnnxException>(() => ChatServer.StartAsync(new ServeOptions { Model = dir.FullName, Port = 0 }, log: _ => { }));
            Assert.Contains("num_hidden_layers", start.Message);
        }
        finally { dir.Delete(true); }
    }
}
