using System.CommandLine;
using System.Text.Json.Nodes;
using Toolkit.Core.Folders;
using Toolkit.Core.Templates;

namespace Toolkit.Cli.Commands;

/// <summary>
/// `toolkit template --tokenizer DIR [--add-generation-prompt] [--template-var NAME=VALUE ...]`: a JSON list of messages
/// (or JSONL, one list per line) on stdin → the folder's chat template (chat_template.jinja or tokenizer_config.json's,
/// as <see cref="ModelFolder"/> resolves it) rendered, one rendering per list.
/// </summary>
static class TemplateCommand
{
    public static Command Create()
    {
        var tokenizer = new Option<string>("--tokenizer") { Description = "Folder whose tokenizer_config.json holds chat_template (and bos/eos tokens).", Required = true };
        var generation = new Option<bool>("--add-generation-prompt") { Description = "Append the assistant turn opener, as for generation." };
        var vars = TemplateVarOption.Create();
        var command = new Command("template", "Render the folder's chat template for JSON message lists read from stdin.") { tokenizer, generation, vars };
        command.SetAction(parse =>
        {
            var folder = ModelFolder.Open(parse.GetValue(tokenizer)!);
            var template = folder.ChatTemplate ?? throw new InvalidOperationException(
                $"'{folder.Folder}' has no chat template (no chat_template.jinja, no chat_template in tokenizer_config.json). HINT: base checkpoints often ship without one");
            var extra = TemplateVarOption.Parse(parse.GetValue(vars))?.ToDictionary(kv => kv.Key, kv => kv.Value);
            var input = Console.In.ReadToEnd();
            foreach (var (messages, where) in ReadConversations(input))
            {
                try { Console.Write(template.Render(messages, parse.GetValue(generation), extra)); }
                catch (TemplateException e) { throw new InvalidOperationException($"stdin {where}: {e.Message}", e); }
                Console.WriteLine();
            }
            return 0;
        });
        return command;
    }

    /// <summary>One JSON array of messages, or JSONL with one array per line.</summary>
    static IEnumerable<(JsonArray Messages, string Where)> ReadConversations(string input)
    {
        JsonNode? whole = null;
        try { whole = JsonNode.Parse(input); } catch (System.Text.Json.JsonException) { }
        if (whole is JsonArray single && (single.Count == 0 || single[0] is JsonObject))
        {
            yield return (single, "document");
            yield break;
        }
        var lineNo = 0;
        foreach (var line in input.Split('\n'))
        {
            lineNo++;
            if (line.Trim().Length == 0) continue;
            JsonNode? node;
            try { node = JsonNode.Parse(line); }
            catch (System.Text.Json.JsonException e) { throw new FormatException($"stdin line {lineNo}: not JSON ({e.Message}); expected a list of {{\"role\", \"content\"}} messages"); }
            if (node is not JsonArray messages)
                throw new FormatException($"stdin line {lineNo}: expected a JSON list of {{\"role\", \"content\"}} messages");
            yield return (messages, $"line {lineNo}");
        }
    }
}
