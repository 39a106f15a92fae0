namespace Toolkit.Train.Data;

/// <summary>
/// Deterministic train/validation split. Items are grouped by a key (for preference data: the prompt ids, so the pairs of
/// one prompt never sit on both sides and validation measures generalization to new prompts); the groups are shuffled
/// with a SplitMix64-seeded Fisher-Yates (the same seed gives the same split on every machine and .NET version), and
/// whole groups go to validation until it holds at least round(fraction × count) items. Both sides keep input order.
/// </summary>
public static class DatasetSplit
{
    /// <summary>Splits <paramref name="items"/>; <paramref name="groupKey"/> null = every item its own group.</summary>
    public static (List<T> Train, List<T> Validation) Split<T>(IReadOnlyList<T> items, double validationFraction, ulong seed, Func<T, string>? groupKey = null)
    {
        ArgumentNullException.ThrowIfNull(items);
        if (validationFraction is < 0 or >= 1 || double.IsNaN(validationFraction))
            throw new ArgumentOutOfRangeException(nameof(validationFraction), validationFraction, "the validation fraction must be in [0, 1), e.g. 0.05");
        var groups = new List<List<int>>();
        var byKey = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < items.Count; i++)
        {
            if (groupKey == null) { groups.Add([i]); continue; }
            var key = groupKey(items[i]);
            if (!byKey.TryGetValue(key, out var g)) { byKey[key] = g = groups.Count; groups.Add([]); }
            groups[g].Add(i);
        }
        var order = Enumerable.Range(0, groups.Count).ToArray();
        var state = seed;
        for (var i = order.Length - 1; i > 0; i--)
        {
            var j = (int)(SplitMix64(ref state) % (ulong)(i + 1));
            (order[i], order[j]) = (order[j], order[i]);
        }
        var want = (int)Math.Round(validationFraction * items.Count, MidpointRounding.AwayFromZero);
        var isValidation = new bool[items.Count];
        var taken = 0;
        foreach (var g in order)
        {
            if (taken >= want) break;
            foreach (var i in groups[g]) isValidation[i] = true;
            taken += groups[g].Count;
        }
        var train = new List<T>();
        var validation = new List<T>();
        for (var i = 0; i < items.Count; i++) (isValidation[i] ? validation : train).Add(items[i]);
        return (train, validation);
    }

    /// <summary>Preference examples, grouped by prompt.</summary>
    public static (List<PreferenceExample> Train, List<PreferenceExample> Validation) Split(IReadOnlyList<PreferenceExample> items, double validationFraction, ulong seed) =>
        Split(items, validationFraction, seed, e => string.Join(",", e.PromptIds));

    /// <summary>Unpaired examples, grouped by prompt.</summary>
    public static (List<UnpairedExample> Train, List<UnpairedExample> Validation) Split(IReadOnlyList<UnpairedExample> items, double validationFraction, ulong seed) =>
        Split(items, validationFraction, seed, e => string.Join(",", e.PromptIds));

    /// <summary>One step of SplitMix64 (Steele, Lea, Flood 2014): a tiny seeded generator with a fixed definition.</summary>
    public static ulong SplitMix64(ref ulong state)
    {
        var z = state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
