using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Toolkit.Cli.Commands;

/// <summary>
/// <c>--template-var NAME=VALUE</c> (repeatable) for the commands that render chat templates (template, generate, chat):
/// extra template variables such as Qwen3's <c>enable_thinking=false</c>. VALUE is read as JSON when it parses
/// (<c>false</c>, <c>3</c>, <c>"text"</c>, <c>[1, 2]</c>), else as a plain string.
/// </summary>
static class TemplateVarOption
{
    /// <summary>The option, to add to a command.</summary>
    public static Option<string[]> Create() => new("--template-var")
    {
        Description = "Chat-template variable NAME=VALUE (repeatable), e.g. enable_thinking=false for Qwen3; VALUE is JSON when it parses (false, 3, \"x\"), else text.",
        AllowMultipleArgumentsPerToken = false,
    };

    /// <summary>The variables given, or null when none; throws <see cref="ArgumentException"/> for a malformed one.</summary>
    public static IReadOnlyDictionary<string, object?>? Parse(string[]? given)
    {
        if (given is null || given.Length == 0) return null;
        var result = new Dictionary<string, object?>();
        foreach (var item in given)
        {
            var eq = item.IndexOf('=');
            var name = eq > 0 ? item[..eq].Trim() : "";
            if (name.Length == 0 || !name.All(c => char.IsLetterOrDigit(c) || c == '_'))
                throw new ArgumentException($"--template-var '{item}': expected NAME=VALUE with NAME made of letters, digits and '_' (e.g. enable_thinking=false)");
            if (name is "messages" or "add_generation_prompt" or "bos_token" or "eos_token")
                throw new ArgumentException($"--template-var '{item}': {name} is set by the command itself");
            var text = item[(eq + 1)..];
            JsonNode? value;
            try { value = JsonNode.Parse(text); }
            catch (JsonException) { value = JsonValue.Create(text); }
            result[name] = value ?? JsonValue.Create(text);
        }
        return result;
    }
}
