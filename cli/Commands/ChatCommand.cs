using System.CommandLine;
using Toolkit.Core.Templates;
using Toolkit.Runtime.Generation;

namespace Toolkit.Cli.Commands;

/// <summary>
/// `toolkit chat --model DIR [--system TEXT] [search options]`: an interactive chat on ONNX Runtime. Each line read is
/// a user turn; the reply streams as it is generated (whole characters only). The conversation is rendered with the
/// folder's chat template; when the new rendering extends what the generator already holds, only the new tokens are
/// run (the KV cache carries the history), otherwise the conversation is prefilled afresh.
/// Commands: /reset (forget the conversation), /exit (or end of input).
/// </summary>
static class ChatCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "ONNX Runtime GenAI model folder with a chat template.", Required = true };
        var system = new Option<string?>("--system") { Description = "A system message at the start of the conversation." };
        var search = new SearchOptionArgs();
        var vars = TemplateVarOption.Create();
        var command = new Command("chat", "Chat with a model folder on ONNX Runtime, streaming the replies.") { model, system, vars };
        search.AddTo(command);
        command.SetAction(parse =>
        {
            using var m = search.Load(parse, parse.GetValue(model)!);
            var tokenizer = new Tokenizer(m);
            if (!tokenizer.HasChatTemplate)
                throw new InvalidOperationException($"'{m.TokenizerFolder}' has no chat template. HINT: use `toolkit generate --raw` for a base model");
            var templateVars = TemplateVarOption.Parse(parse.GetValue(vars));
            var messages = new List<ChatMessage>();
            if (parse.GetValue(system) is { } s) messages.Add(ChatMessage.System(s));
            var initial = messages.Count;
            Generator? generator = null;
            try
            {
                Console.Error.WriteLine($"chat with {m.Folder} ({m.GetModelType()}); /reset to start over, /exit to leave");
                while (true)
                {
                    Console.Error.Write("> ");
                    var line = Console.ReadLine();
                    if (line is null || line.Trim() == "/exit") break;
                    if (line.Trim() == "/reset")
                    {
                        messages.RemoveRange(initial, messages.Count - initial);
                        generator?.Dispose();
                        generator = null;
                        continue;
                    }
                    if (line.Trim().Length == 0) continue;
                    messages.Add(ChatMessage.User(line));
                    var ids = tokenizer.Encode(tokenizer.ApplyChatTemplate(messages, addGenerationPrompt: true, templateVars));
                    generator = Continue(m, generator, ids, parse, search);
                    while (!generator.IsDone())
                    {
                        generator.GenerateNextToken();
                        Console.Write(generator.TakeNewText(0));
                    }
                    Console.WriteLine(generator.TakeNewText(0));
                    messages.Add(ChatMessage.Assistant(generator.GetText(0)));
                }
            }
            finally
            {
                generator?.Dispose();
            }
            return 0;
        });
        return command;
    }

    /// <summary>Appends the new tokens to <paramref name="generator"/> when its sequence is a prefix of <paramref name="ids"/>; else a fresh generator.</summary>
    static Generator Continue(Model m, Generator? generator, int[] ids, ParseResult parse, SearchOptionArgs search)
    {
        if (generator is not null)
        {
            var have = generator.GetSequence(0);
            if (have.Length < ids.Length && ids.AsSpan(0, have.Length).SequenceEqual(have))
            {
                try
                {
                    generator.AppendTokens(ids.AsSpan(have.Length));
                    return generator;
                }
                catch (GenerationException)
                {
                    // over max_length with the history: start over below (the prompt alone may still fit)
                }
            }
            generator.Dispose();
        }
        var p = new GeneratorParams(m) { TrackText = true };
        search.Apply(parse, p);
        var fresh = new Generator(m, p);
        try
        {
            fresh.AppendTokens(ids);
            return fresh;
        }
        catch
        {
            fresh.Dispose();
            throw;
        }
    }
}
