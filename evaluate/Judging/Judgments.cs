using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Toolkit.Evaluate.Answers;
using Toolkit.Evaluate.Questions;

namespace Toolkit.Evaluate.Judging;

/// <summary>Who won one pairwise game, mapped back from A/B to the two models (FastChat's g1_winner / g2_winner values).</summary>
public enum Winner
{
    /// <summary>"model_1".</summary>
    Model1,
    /// <summary>"model_2".</summary>
    Model2,
    /// <summary>"tie".</summary>
    Tie,
    /// <summary>"error": the judge gave no verdict.</summary>
    Error,
}

/// <summary>
/// One line of FastChat's <c>model_judgment/&lt;judge&gt;_pair.jsonl</c>: game 1 shows model_1 as A, game 2 shows
/// model_2 as A; both winners are in model terms. Extra fields (ignored by FastChat): <c>category</c>, <c>len_1</c> /
/// <c>len_2</c> (characters of the judged turn's answers, for the length-controlled win rate).
/// </summary>
public sealed record PairJudgment(string QuestionId, string Category, int Turn, string Model1, string Model2, Winner G1, Winner G2,
    string Judge, string Template, string G1UserPrompt, string G1Judgment, string G2UserPrompt, string G2Judgment, int Len1, int Len2, double Tstamp)
{
    /// <summary>FastChat's combination (show_result.py): an error in either game drops the row (null); both games naming the same model → that model; otherwise (a tie in game 1, or inconsistent games) → tie.</summary>
    public Winner? Combined => G1 == Winner.Error || G2 == Winner.Error ? null : G1 == G2 ? G1 : Winner.Tie;

    /// <summary>True when neither game is an error and both name the same winner (position consistency).</summary>
    public bool Consistent => G1 != Winner.Error && G2 != Winner.Error && G1 == G2;

    /// <summary>The score of model_1 over both games: wins 1, ties 0.5, losses 0 per game, averaged over the games without error (null when both failed).</summary>
    public double? Model1Score
    {
        get
        {
            var s = new[] { G1, G2 }.Where(w => w != Winner.Error).Select(w => w == Winner.Model1 ? 1.0 : w == Winner.Tie ? 0.5 : 0.0).ToList();
            return s.Count == 0 ? null : s.Average();
        }
    }

    /// <summary>The FastChat value name.</summary>
    public static string Name(Winner w) => w switch { Winner.Model1 => "model_1", Winner.Model2 => "model_2", Winner.Tie => "tie", _ => "error" };

    /// <summary>Parses a FastChat value name.</summary>
    public static Winner ParseWinner(string s, string at) => s switch
    {
        "model_1" => Winner.Model1, "model_2" => Winner.Model2, "tie" => Winner.Tie, "error" => Winner.Error,
        _ => throw new FormatException($"{at}: winner \"{s}\" is not one of model_1, model_2, tie, error"),
    };

    /// <summary>The line as JSON.</summary>
    public string ToJsonLine() => new JsonObject
    {
        ["question_id"] = Question.IdNode(QuestionId), ["model_1"] = Model1, ["model_2"] = Model2,
        ["g1_winner"] = Name(G1), ["g2_winner"] = Name(G2), ["judge"] = new JsonArray(Judge, Template),
        ["g1_user_prompt"] = G1UserPrompt, ["g1_judgment"] = G1Judgment, ["g2_user_prompt"] = G2UserPrompt, ["g2_judgment"] = G2Judgment,
        ["turn"] = Turn, ["tstamp"] = Tstamp, ["category"] = Category, ["len_1"] = Len1, ["len_2"] = Len2,
    }.ToJsonString(AnswerRecord.Readable);

    /// <summary>Reads a pairwise judgment file (FastChat's own included: missing extra fields default to empty / 0).</summary>
    public static List<PairJudgment> ReadFile(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such judgments file. HINT: write it with `toolkit evaluate judge --mode pairwise`", path);
        var list = new List<PairJudgment>();
        var lines = File.ReadAllLines(path);
        for (var i = 0; i < lines.Length; i++)
        {
            if (lines[i].Trim().Length == 0) continue;
            var at = $"{path}:{i + 1}";
            try
            {
                var o = JsonNode.Parse(lines[i])!.AsObject();
                string S(string k) => o[k]?.GetValueKind() == JsonValueKind.String ? o[k]!.GetValue<string>() : o[k]?.ToJsonString() ?? throw new FormatException($"{at}: field \"{k}\" is missing");
                int I(string k) => o[k] is JsonValue v && v.TryGetValue<int>(out var n) ? n : 0;
                var judge = o["judge"] as JsonArray;
                list.Add(new PairJudgment(S("question_id"), o["category"]?.ToString() ?? "", o["turn"]?.GetValue<int>() ?? 1, S("model_1"), S("model_2"),
                    ParseWinner(S("g1_winner"), at), ParseWinner(S("g2_winner"), at), judge?[0]?.ToString() ?? "", judge?[1]?.ToString() ?? "",
                    o["g1_user_prompt"]?.ToString() ?? "", o["g1_judgment"]?.ToString() ?? "", o["g2_user_prompt"]?.ToString() ?? "", o["g2_judgment"]?.ToString() ?? "",
                    I("len_1"), I("len_2"), o["tstamp"]?.GetValue<double>() ?? 0));
            }
            catch (Exception e) when (e is JsonException or InvalidOperationException)
            {
                throw new FormatException($"{at}: {e.Message}. HINT: FastChat model_judgment pair layout, as `evaluate judge --mode pairwise` writes it");
            }
        }
        return list;
    }
}

/// <summary>One line of FastChat's <c>model_judgment/&lt;judge&gt;_single.jsonl</c> (plus <c>category</c>); score −1 = judge error.</summary>
public sealed record SingleJudgment(string QuestionId, string Category, int Turn, string Model, string Judge, string Template,
    string UserPrompt, string Judgment, double Score, double Tstamp)
{
    /// <summary>The line as JSON.</summary>
    public string ToJsonLine() => new JsonObject
    {
        ["question_id"] = Question.IdNode(QuestionId), ["model"] = Model, ["judge"] = new JsonArray(Judge, Template),
        ["user_prompt"] = UserPrompt, ["judgment"] = Judgment, ["score"] = Score, ["turn"] = Turn, ["tstamp"] = Tstamp, ["category"] = Category,
    }.ToJsonString(AnswerRecord.Readable);

    /// <summary>Writes lines atomically (temp file, then rename).</summary>
    public static void WriteAtomic(string path, IEnumerable<string> lines) => Toolkit.Core.Checkpoints.AtomicFile.WriteAllLines(path, lines);

    /// <summary>Unix seconds now.</summary>
    public static double Now() => double.Parse((DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0).ToString("F3", CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
}
