using System.Diagnostics;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;
using Toolkit.Core.Native;
using Toolkit.Evaluate.Answers;
using Toolkit.Evaluate.Judging;
using Toolkit.Evaluate.Questions;

// The end-to-end test loads ONNX Runtime on both cores: run tests one at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace Toolkit.Evaluate.Tests;

/// <summary>A temporary folder removed on dispose.</summary>
sealed class TempDir : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("tk-eval-").FullName;

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { }
    }
}

/// <summary>
/// An <see cref="IChatClient"/> that answers with <paramref name="reply"/> (given the messages) and records every call:
/// the messages and options it saw. Thread-safe.
/// </summary>
sealed class FakeChatClient(Func<IReadOnlyList<ChatMessage>, string> reply) : IChatClient
{
    readonly List<(List<ChatMessage> Messages, ChatOptions? Options)> _calls = [];

    public IReadOnlyList<(List<ChatMessage> Messages, ChatOptions? Options)> Calls { get { lock (_calls) return _calls.ToList(); } }

    public int CallCount { get { lock (_calls) return _calls.Count; } }

    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var list = messages.ToList();
        lock (_calls) _calls.Add((list, options));
        return Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, reply(list))));
    }

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var r = await GetResponseAsync(messages, options, cancellationToken);
        foreach (var u in r.ToChatResponseUpdates()) yield return u;
    }

    public object? GetService(Type serviceType, object? serviceKey = null) => null;

    public void Dispose() { }
}

static class Kit
{
    /// <summary>An answers dictionary: question id → turns.</summary>
    public static Dictionary<string, AnswerRecord> Answers(string model, params (string Id, string[] Turns)[] items) =>
        items.ToDictionary(i => i.Id, i => new AnswerRecord(i.Id, "x", model, i.Turns, 0));

    /// <summary>A pairwise row with the given game winners.</summary>
    public static PairJudgment Row(string q, Winner g1, Winner g2, int turn = 1, string category = "general", int len1 = 100, int len2 = 100,
        string m1 = "cand", string m2 = "base") =>
        new(q, category, turn, m1, m2, g1, g2, "fake", "pair-v2", "", "", "", "", len1, len2, 0);

    /// <summary>Runs a script under Debian's /usr/bin/python3 (python3-numpy / -scipy / -sklearn); fails the test with its stderr.</summary>
    public static void Python(string script, params string[] args)
    {
        var root = NativeLibraries.RepoRoot() ?? throw new InvalidOperationException("tests run from the checkout");
        var psi = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardError = true, RedirectStandardOutput = true };
        psi.ArgumentList.Add(System.IO.Path.Combine(root, script));
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi) ?? throw new InvalidOperationException("cannot start /usr/bin/python3");
        var stdout = p.StandardOutput.ReadToEndAsync();
        var err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        _ = stdout.Result;
        Assert.True(p.ExitCode == 0, $"{script} failed ({p.ExitCode}); it needs Debian's python3-numpy, python3-scipy and python3-sklearn (make test installs them):\n{err}");
    }

    /// <summary>A two-turn math question with references.</summary>
    public static Question Math2 => new("1", "math", ["What is 2+3?", "And times 4?"], ["5", "20"], ["numeric:5", "numeric:20"]);

    /// <summary>A one-turn writing question.</summary>
    public static Question Writing1 => new("2", "writing", ["Write a haiku."]);
}
