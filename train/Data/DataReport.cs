using System.Text;

namespace Toolkit.Train.Data;

/// <summary>
/// What happened to the rows of a data set, stage by stage: read (bad rows by kind, with every error kept), then
/// tokenized (duplicates removed, prompts that fill max_length dropped, truncations, boundary merges avoided).
/// Nothing is left out without being counted here; <see cref="Summary"/> is the text to print at the end.
/// </summary>
public sealed class DataReport
{
    readonly List<DataError> _errors = [];
    readonly Dictionary<DataErrorKind, int> _byKind = [];

    /// <summary>Non-blank lines / CSV records seen.</summary>
    public int RowsRead { get; internal set; }

    /// <summary>Rows that parsed and passed validation.</summary>
    public int RowsAccepted { get; internal set; }

    /// <summary>Every refused row, in file order.</summary>
    public IReadOnlyList<DataError> Errors => _errors;

    /// <summary>Refused rows per reason.</summary>
    public IReadOnlyDictionary<DataErrorKind, int> BadRowsByKind => _byKind;

    /// <summary>Exact duplicates (same prompt, chosen, rejected / completion, label) removed; the first copy is kept.</summary>
    public int Duplicates { get; internal set; }

    /// <summary>Rows dropped because the prompt alone (after prompt truncation) fills max_length.</summary>
    public int DroppedPromptTooLong { get; internal set; }

    /// <summary>Rows whose prompt was cut to max_prompt_length.</summary>
    public int TruncatedPrompts { get; internal set; }

    /// <summary>Completions (chosen, rejected or SFT answers) cut to fit max_length; a cut completion loses its EOS.</summary>
    public int TruncatedCompletions { get; internal set; }

    /// <summary>Completions to which an EOS id was appended because the rendered text ended without one.</summary>
    public int EosAppended { get; internal set; }

    /// <summary>
    /// Completions (chosen and rejected count separately) where tokenizing prompt + completion jointly would have merged tokens across the boundary (the trap that
    /// separate tokenization avoids). Informational: these rows are kept with the exact boundary.
    /// </summary>
    public int BoundaryMerges { get; internal set; }

    /// <summary>Examples produced by tokenization.</summary>
    public int Examples { get; internal set; }

    /// <summary>Total bad rows.</summary>
    public int BadRows => _errors.Count;

    internal void Add(DataError error)
    {
        _errors.Add(error);
        _byKind[error.Kind] = _byKind.GetValueOrDefault(error.Kind) + 1;
    }

    /// <summary>"3, 7-9, 12": sorted line numbers with runs folded, so every dropped row's line fits in one summary line.</summary>
    static string LineRanges(IEnumerable<int> lines)
    {
        var parts = new List<string>();
        int? from = null, to = null;
        foreach (var l in lines.Distinct().Order())
        {
            if (to is { } t && l == t + 1) { to = l; continue; }
            if (from is { } f) parts.Add(f == to ? $"{f}" : $"{f}-{to}");
            from = to = l;
        }
        if (from is { } last) parts.Add(last == to ? $"{last}" : $"{last}-{to}");
        return string.Join(", ", parts);
    }

    /// <summary>A few lines: counts per stage and per bad-row reason, then the first errors, then the lines of all the others.</summary>
    public string Summary(int maxErrors = 10)
    {
        var sb = new StringBuilder();
        sb.Append($"rows read {RowsRead}, accepted {RowsAccepted}, bad {BadRows}");
        if (_byKind.Count > 0)
            sb.Append(" (").AppendJoin(", ", _byKind.OrderBy(kv => kv.Key).Select(kv => $"{kv.Key} {kv.Value}")).Append(')');
        sb.AppendLine();
        sb.AppendLine($"examples {Examples}, duplicates removed {Duplicates}, dropped (prompt fills max_length) {DroppedPromptTooLong}, " +
                      $"prompts truncated {TruncatedPrompts}, completions truncated {TruncatedCompletions}, EOS appended {EosAppended}, " +
                      $"boundary merges avoided {BoundaryMerges}");
        foreach (var e in _errors.Take(maxErrors)) sb.AppendLine(e.ToString());
        if (_errors.Count > maxErrors)
            sb.AppendLine($"... and {_errors.Count - maxErrors} more bad rows, at lines {LineRanges(_errors.Skip(maxErrors).Select(e => e.Line))}");
        return sb.ToString();
    }
}
