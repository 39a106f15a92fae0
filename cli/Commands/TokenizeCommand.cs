using System.CommandLine;
using System.Text.Json;
using Toolkit.Core.Tokenizers;

namespace Toolkit.Cli.Commands;

/// <summary>
/// `toolkit tokenize --tokenizer DIR [--decode] [--no-special] [--jsonl]`: text lines on stdin → one JSON array of ids per
/// line; with --decode, JSON arrays of ids on stdin → the decoded text, one per line. With --jsonl each text is one JSON
/// string per line (in, or out with --decode), so texts holding newlines round-trip. Decoding is exact for byte-level
/// BPE (the library's Decode, as generation). Where template and tokenizer bugs are found.
/// </summary>
static class TokenizeCommand
{
    public static Command Create()
    {
        var tokenizer = new Option<string>("--tokenizer") { Description = "Folder holding tokenizer.json (and tokenizer_config.json for special tokens).", Required = true };
        var decode = new Option<bool>("--decode") { Description = "Read JSON arrays of ids and print the decoded text instead." };
        var noSpecial = new Option<bool>("--no-special") { Description = "Encode without the post-processor's special tokens (BOS); decode skipping special tokens." };
        var jsonl = new Option<bool>("--jsonl") { Description = "Texts are JSON strings, one per line (read when encoding, written with --decode), so a text may hold newlines." };
        var command = new Command("tokenize", "Encode stdin lines to ids (one JSON array per line), or decode ids with --decode.") { tokenizer, decode, noSpecial, jsonl };
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
                    var text = line;
                    if (parse.GetValue(jsonl))
                    {
                        if (line.Trim().Length == 0) continue;
                        try { text = JsonSerializer.Deserialize<string>(line) ?? throw new FormatException("null"); }
                        catch (Exception e) when (e is JsonException or FormatException)
                        { throw new FormatException($"stdin line {lineNo}: expected one JSON string, e.g. \"first line\\nsecond line\" ({e.Message})"); }
                    }
                    Console.WriteLine(JsonSerializer.Serialize(tok.Encode(text, special)));
                    continue;
                }
                int[] ids;
                try { ids = JsonSerializer.Deserialize<int[]>(line) ?? []; }
                catch (JsonException e) { throw new FormatException($"stdin line {lineNo}: expected a JSON array of token ids ({e.Message})"); }
                var decoded = tok.Decode(ids, skipSpecialTokens: !special);
                Console.WriteLine(parse.GetValue(jsonl) ? JsonSerializer.Serialize(decoded, Readable) : decoded);
            }
            return 0;
        });
        return command;
    }

    /// <summary>JSON strings with non-ASCII text as itself (UTF-8), not \uXXXX escapes.</summary>
    static readonly JsonSerializerOptions Readable = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
}
