using System.Globalization;

namespace Toolkit.Train.Data;

/// <summary>
/// Refuses data that cannot train the chosen objective, before any model is loaded, with the counts and what to do:
/// nothing left after bad rows, truncation and dedupe (e.g. every pair with chosen == rejected); KTO with one label
/// class (its loss is then a constant 0.5 and nothing trains). Warns where the data breaks a range that the option help
/// states (KTO's λ_D·n_D / (λ_U·n_U) in [1, 4/3], Ethayarajh et al. 2024, Eq. 8).
/// </summary>
public static class DataChecks
{
    /// <summary>
    /// Throws <see cref="ArgumentException"/> when <paramref name="examples"/> is 0: names the file, the command, every
    /// count of <paramref name="report"/> that removed rows, and the fix for the largest one.
    /// </summary>
    public static void RequireExamples(string file, string command, DataReport report, int examples, int maxLength)
    {
        if (examples > 0) return;
        var identical = report.BadRowsByKind.GetValueOrDefault(DataErrorKind.IdenticalPair);
        var hint = identical > 0 && identical == report.BadRows && report.RowsAccepted == 0
                ? $"every pair ({identical} of {report.RowsRead} rows) has chosen == rejected, so no pair carries a preference: give each prompt two different answers"
            : report.RowsAccepted == 0 ? "no row was usable: fix the bad rows listed above (file:line, field, what to do)"
            : report.DroppedPromptTooLong > 0 && report.DroppedPromptTooLong >= report.Duplicates
                ? $"every prompt fills max_length {maxLength}: raise --max-length, set --max-prompt-length below it, or shorten the prompts"
            : report.Duplicates > 0 ? "the rows repeat the same examples: add distinct ones"
            : "add examples";
        throw new ArgumentException(
            $"--data '{file}': nothing left to train `{command}` on (rows read {report.RowsRead}, accepted {report.RowsAccepted}, " +
            $"bad {report.BadRows}{(identical > 0 ? $" of which chosen == rejected {identical}" : "")}, duplicates removed {report.Duplicates}, " +
            $"dropped because the prompt fills max_length {report.DroppedPromptTooLong}). HINT: {hint}");
    }

    /// <summary>Throws <see cref="ArgumentException"/> when the KTO examples hold only one label class, with both counts and what to do.</summary>
    public static void RequireBothLabels(string file, IReadOnlyCollection<UnpairedExample> examples)
    {
        var desirable = examples.Count(e => e.Label);
        var undesirable = examples.Count - desirable;
        if (desirable > 0 && undesirable > 0) return;
        var missing = desirable == 0 ? "desirable (label true)" : "undesirable (label false)";
        throw new ArgumentException(
            $"--data '{file}': kto needs both desirable and undesirable examples, found {desirable} desirable (label true) and " +
            $"{undesirable} undesirable (label false). With one class the KTO loss is a constant 0.5 and nothing trains. " +
            $"HINT: add {missing} examples, or train the completions with `toolkit train sft`");
    }

    /// <summary>
    /// The warning for KTO weights whose λ_D·n_D / (λ_U·n_U) lies outside [1, 4/3] (the desirable_weight help), with the
    /// desirable_weight range that would fix it; null when inside.
    /// </summary>
    public static string? KtoWeightWarning(int desirable, int undesirable, double desirableWeight, double undesirableWeight)
    {
        if (desirable == 0 || undesirable == 0) return null;
        var ratio = desirableWeight * desirable / (undesirableWeight * undesirable);
        if (ratio >= 1 - 1e-9 && ratio <= 4.0 / 3 + 1e-9) return null;
        var lo = undesirableWeight * undesirable / desirable;
        return string.Create(CultureInfo.InvariantCulture,
            $"WARNING kto: desirable_weight·n_D / (undesirable_weight·n_U) = {desirableWeight:G4}·{desirable} / ({undesirableWeight:G4}·{undesirable}) = {ratio:F2}, " +
            $"outside [1, 4/3] (KTO paper Eq. 8; see --desirable-weight). HINT: --desirable-weight {lo:G3} to {lo * 4 / 3:G3} with --undesirable-weight {undesirableWeight:G4}");
    }
}
