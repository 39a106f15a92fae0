using Microsoft.Extensions.AI;
using Toolkit.Evaluate.Questions;

namespace Toolkit.Evaluate.Judging;

/// <summary>
/// An LLM judge over any <see cref="IChatClient"/> with FastChat's judge prompts (<see cref="JudgePrompts"/>):
/// 1) pick the prompt (pairwise or single; reference-guided for math / reasoning / coding when the question has a
///    reference; the multi-turn form for turn 2);
/// 2) fill it and ask the judge at temperature 0 (system prompt + one user message);
/// 3) parse the LAST verdict label (<see cref="VerdictParser"/>); if there is none, ask once more with the reply
///    appended and an instruction to finish with the label (Arena-Hard v0.1's second attempt);
/// 4) still none, or the call failed after the client's own retries: a judge error (counted, never a loss).
/// MT-Bench has two turns; turns beyond 2 are not judged.
/// </summary>
public sealed class LlmJudge(IChatClient client, string name, JudgePrompts prompts, int maxTokens = 2048) : IJudge
{
    /// <summary>The follow-up sent when a reply has no verdict label.</summary>
    public const string FinishPairwise = "Finish your judgment now: end with exactly one final verdict label, \"[[A]]\", \"[[B]]\" or \"[[C]]\".";

    /// <summary>The follow-up sent when a reply has no rating.</summary>
    public const string FinishSingle = "Finish your judgment now: end with the rating written exactly as \"Rating: [[5]]\" (a number from 1 to 10).";

    /// <inheritdoc/>
    public string Name { get; } = name;

    /// <summary>How many judge calls failed with an exception (after the client's retries).</summary>
    public int TransportErrors => _transportErrors;

    int _transportErrors;

    /// <inheritdoc/>
    public string? TemplateFor(Question q, int turn, bool pairwise) =>
        turn is 1 or 2 ? Prompt(q, turn, pairwise) is var p ? $"{p.Name}\n{p.SystemPrompt}\n{p.PromptTemplate}" : null : null;

    JudgePrompt Prompt(Question q, int turn, bool pairwise) =>
        prompts.Select(pairwise, Question.NeedRefCategories.Contains(q.Category) && q.ReferenceFor(1) is not null, multiTurn: turn == 2);

    /// <inheritdoc/>
    public async Task<JudgeOutcome?> RateAsync(Question q, int turn, IReadOnlyList<string> answers, CancellationToken cancel = default)
    {
        if (turn is not (1 or 2) || turn > answers.Count || turn > q.Turns.Count) return null;
        var p = Prompt(q, turn, pairwise: false);
        var values = Common(q, p);
        if (turn == 1) values["answer"] = answers[0];
        else { values["answer_1"] = answers[0]; values["answer_2"] = answers[1]; }
        return await AskAsync(p, p.Fill(values), pairwise: false, cancel);
    }

    /// <inheritdoc/>
    public async Task<JudgeOutcome?> CompareAsync(Question q, int turn, IReadOnlyList<string> answersA, IReadOnlyList<string> answersB, CancellationToken cancel = default)
    {
        if (turn is not (1 or 2) || turn > answersA.Count || turn > answersB.Count || turn > q.Turns.Count) return null;
        var (p, user) = RenderPairwise(prompts, q, turn, answersA, answersB);
        return await AskAsync(p, user, pairwise: true, cancel);
    }

    /// <summary>
    /// The pairwise judge prompt and filled user message for turn <paramref name="turn"/> (1 or 2) with A shown first,
    /// exactly as <see cref="CompareAsync"/> sends it (the system prompt is <c>Prompt.SystemPrompt</c>). Used by the
    /// judge distillation to render its training prompts with the same code.
    /// </summary>
    public static (JudgePrompt Prompt, string User) RenderPairwise(JudgePrompts prompts, Question q, int turn, IReadOnlyList<string> answersA, IReadOnlyList<string> answersB)
    {
        var p = prompts.Select(pairwise: true, Question.NeedRefCategories.Contains(q.Category) && q.ReferenceFor(1) is not null, multiTurn: turn == 2);
        var values = Common(q, p);
        if (turn == 1) { values["answer_a"] = answersA[0]; values["answer_b"] = answersB[0]; }
        else
        {
            values["answer_a_1"] = answersA[0]; values["answer_a_2"] = answersA[1];
            values["answer_b_1"] = answersB[0]; values["answer_b_2"] = answersB[1];
        }
        return (p, p.Fill(values));
    }

    static Dictionary<string, string> Common(Question q, JudgePrompt p)
    {
        var v = new Dictionary<string, string> { ["question"] = q.Turns[0], ["question_1"] = q.Turns[0] };
        if (q.Turns.Count > 1) v["question_2"] = q.Turns[1];
        if (p.UsesReference) { v["ref_answer_1"] = q.ReferenceFor(1) ?? ""; v["ref_answer_2"] = q.ReferenceFor(2) ?? ""; }
        return v;
    }

    async Task<JudgeOutcome> AskAsync(JudgePrompt p, string user, bool pairwise, CancellationToken cancel)
    {
        var messages = new List<ChatMessage>();
        if (p.SystemPrompt.Length > 0) messages.Add(new ChatMessage(ChatRole.System, p.SystemPrompt));
        messages.Add(new ChatMessage(ChatRole.User, user));
        var options = new ChatOptions { Temperature = 0, MaxOutputTokens = maxTokens };
        string reply;
        try { reply = (await client.GetResponseAsync(messages, options, cancel)).Text; }
        catch (Exception e) when (e is not OperationCanceledException || !cancel.IsCancellationRequested)
        {
            Interlocked.Increment(ref _transportErrors);
            return Outcome(p, user, "$ERROR$ " + e.Message, pairwise);
        }
        var first = Outcome(p, user, reply, pairwise);
        if (!first.IsError) return first;
        messages.Add(new ChatMessage(ChatRole.Assistant, reply));
        messages.Add(new ChatMessage(ChatRole.User, pairwise ? FinishPairwise : FinishSingle));
        try
        {
            var second = (await client.GetResponseAsync(messages, options, cancel)).Text;
            var again = Outcome(p, user, second, pairwise);
            return again with { Judgment = reply + "\n\n[retry] " + second };
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancel.IsCancellationRequested)
        {
            Interlocked.Increment(ref _transportErrors);
            return first;
        }
    }

    static JudgeOutcome Outcome(JudgePrompt p, string user, string reply, bool pairwise) => pairwise
        ? new JudgeOutcome(user, reply, VerdictParser.Pairwise(reply), null, p.Name)
        : new JudgeOutcome(user, reply, null, VerdictParser.Single(reply), p.Name);
}
