using System.CommandLine;
using System.Text.Json;
using Toolkit.Core.Tokenizers;

namespace Toolkit.Cli.Commands;

/// <summary>
/// `toolkit tokenize --tokenizer DIR [--decode] [--no-special]`: text lines on stdin → one JSON array of ids per line;
/// with --decode, JSON arrays of ids on stdin → the decoded text, one per line. Where template and tokenizer bugs are found.
/// </summary>
static class TokenizeCommand
{
    public static Command Create()
    {
        var tokenizer = new Option<string>("--tokenizer") { Description = "Folder holding tokenizer.json (and tokenizer_config.json for special tokens).", Required = true };
        var decode = new Option<bool>("--decode") { Description = "Read JSON arrays of ids and print the decoded text instead." };
        var noSpecial = new Option<bool>("--no-special") { Description = "Encode without the post-processor's special tokens (BOS); decode skipping special tokens." };
        var command = new Command("tokenize", "Encode stdin lines to ids (one JSON array per line), or decode ids with --decode.") { tokenizer, decode, noSpecial };
        command.SetAction(parse =>
        {
            var tok = Tokenizer.FromFolder(parse.GetValue(tokenizer)!);
            var special = !parse.GetValue(noSpecial);
            var lineNo = 0;
            for (string? line; (line = Console.In.ReadLine()) != null;)
            {
                lineNo++;
                if (!parse.GetValue(decode))
                {
                    Console.WriteLine(JsonSerializer.Serialize(tok.Encode(line, special)));
                    continue;
                }
                int[] ids;
                try { ids = JsonSerializer.Deserialize<int[]>(line) ?? []; }
                catch (JsonException e) { throw new FormatException($"stdin line {lineNo}: expected a JSON array of token ids ({e.Message})"); }
                Console.WriteLine(tok.Decode(ids, skipSpecialTokens: !special));
            }
            return 0;
        });
        return command;
    }
}
