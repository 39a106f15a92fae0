namespace Toolkit.Evaluate.Answers;

/// <summary>
/// Answer-generation temperature per question category, as FastChat sets it (<c>fastchat/llm_judge/common.py:
/// temperature_config</c>): writing / roleplay 0.7, extraction / math / coding / reasoning 0.0, stem / humanities 0.1,
/// arena-hard-200 0.0, anything else 0.7. A temperature below 1e-4 means greedy decoding (FastChat's rule).
/// </summary>
public static class Temperatures
{
    static readonly Dictionary<string, double> Config = new()
    {
        ["writing"] = 0.7, ["roleplay"] = 0.7, ["extraction"] = 0.0, ["math"] = 0.0, ["coding"] = 0.0,
        ["reasoning"] = 0.0, ["stem"] = 0.1, ["humanities"] = 0.1, ["arena-hard-200"] = 0.0,
    };

    /// <summary>The default for categories FastChat does not list.</summary>
    public const double Default = 0.7;

    /// <summary>The temperature for <paramref name="category"/> (case-insensitive).</summary>
    public static double For(string category) => Config.TryGetValue(category.ToLowerInvariant(), out var t) ? t : Default;

    /// <summary>True where FastChat decodes greedily (temperature &lt; 1e-4).</summary>
    public static bool IsGreedy(double temperature) => temperature < 1e-4;
}
