using Microsoft.Extensions.AI;
using Toolkit.Evaluate.Questions;

namespace Toolkit.Evaluate.Answers;

/// <summary>
/// Answers every question with one <see cref="IChatClient"/>, writing FastChat model_answer lines:
/// 1) read the questions and the answers already in --out (a rerun skips those question ids);
/// 2) for each remaining question, ask turn 1, append the model's answer to the chat messages, ask turn 2, … (so turn
///    k's prompt is the conversation so far through the model's chat template);
/// 3) append finished lines to --out in question order, each in one write, flushed (so the file's order does not depend
///    on which question, or which endpoint of an <see cref="Clients.EndpointPool"/>, finishes first; a crash loses at most
///    the questions in flight and those finished after the oldest one in flight; a partial last line from a killed run is
///    dropped on the next run).
/// Temperatures follow <see cref="Temperatures"/> (greedy where FastChat uses 0).
/// </summary>
public sealed class AnswerRun(IChatClient client, AnswerOptions options)
{
    readonly AnswerOptions _o = options.Validate();
    readonly object _writeLock = new();

    /// <summary>Answers the questions not yet in the file; <paramref name="progress"/> receives one tick per finished question. Returns how many were answered now.</summary>
    public async Task<int> RunAsync(IReadOnlyList<Question> questions, Action<Question>? progress = null, CancellationToken cancel = default)
    {
        var done = ReadDone(_o.Out);
        var todo = questions.Select((q, i) => (q, i)).Where(x => !done.Contains(x.q.Id)).ToList();
        var dir = Path.GetDirectoryName(Path.GetFullPath(_o.Out))!;
        Directory.CreateDirectory(dir);
        var finished = new string?[todo.Count];
        var next = 0;   // the first position in todo not yet written
        await Parallel.ForEachAsync(todo.Select((x, k) => (x.q, x.i, k)), new ParallelOptions { MaxDegreeOfParallelism = _o.Concurrency, CancellationToken = cancel }, async (x, ct) =>
        {
            var turns = await AnswerAsync(x.q, _o.Seed + x.i, ct);
            var line = new AnswerRecord(x.q.Id, Guid.NewGuid().ToString("N"), _o.ResolvedModelId, turns,
                DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0).ToJsonLine();
            lock (_writeLock)
            {
                finished[x.k] = line + "\n";
                for (; next < finished.Length && finished[next] is { } ready; next++) { Append(ready); finished[next] = null; }
            }
            progress?.Invoke(x.q);
        });
        return todo.Count;
    }

    /// <summary>Every turn of <paramref name="q"/> in order, each asked after the model's own earlier answers.</summary>
    public async Task<IReadOnlyList<string>> AnswerAsync(Question q, long seed, CancellationToken cancel = default)
    {
        var temperature = _o.Temperature ?? Temperatures.For(q.Category);
        var chat = new ChatOptions
        {
            Temperature = Temperatures.IsGreedy(temperature) ? 0f : (float)temperature,
            MaxOutputTokens = _o.MaxNewTokens,
            Seed = Temperatures.IsGreedy(temperature) ? null : seed,
        };
        var messages = new List<ChatMessage>();
        var answers = new List<string>();
        foreach (var turn in q.Turns)
        {
            messages.Add(new ChatMessage(ChatRole.User, turn));
            var response = await client.GetResponseAsync(messages, chat, cancel);
            var text = response.Text.Trim();
            answers.Add(text);
            messages.Add(new ChatMessage(ChatRole.Assistant, text));
        }
        return answers;
    }

    void Append(string text)
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(text);
        lock (_writeLock)
        {
            using var f = new FileStream(_o.Out, FileMode.Append, FileAccess.Write, FileShare.Read);
            f.Write(bytes);
            f.Flush(flushToDisk: true);
        }
    }

    /// <summary>Question ids already answered in <paramref name="path"/>; a torn last line (killed run) is cut off so appends stay valid JSONL.</summary>
    static HashSet<string> ReadDone(string path)
    {
        var done = new HashSet<string>();
        if (!File.Exists(path)) return done;
        var text = File.ReadAllText(path);
        if (text.Length > 0 && !text.EndsWith('\n'))
        {
            var keep = text.LastIndexOf('\n') + 1;
            Toolkit.Core.Checkpoints.AtomicFile.WriteAllText(path, text[..keep]);
            text = text[..keep];
        }
        var lines = text.Split('\n');
        for (var i = 0; i < lines.Length; i++)
            if (lines[i].Trim().Length > 0) done.Add(AnswerRecord.Parse(lines[i], $"{path}:{i + 1}").QuestionId);
        return done;
    }
}
