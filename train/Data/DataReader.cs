namespace Toolkit.Train.Data;

/// <summary>
/// The rows of one data file, of one <see cref="DataForm"/>, with the report of what was refused. Exactly one of
/// <see cref="Pairs"/>, <see cref="Unpaired"/>, <see cref="Sft"/> is filled, according to the form.
/// </summary>
public sealed class DataSet
{
    /// <summary>The file's form, or null when no row was valid.</summary>
    public DataForm? Form { get; internal init; }

    /// <summary>The line whose row decided <see cref="Form"/> (0 when none).</summary>
    public int FormLine { get; internal init; }

    /// <summary>Preference pairs (standard, conversational, implicit and ranking forms).</summary>
    public List<PreferenceRow> Pairs { get; } = [];

    /// <summary>Unpaired KTO rows.</summary>
    public List<UnpairedRow> Unpaired { get; } = [];

    /// <summary>SFT rows.</summary>
    public List<SftRow> Sft { get; } = [];

    /// <summary>Counts and errors.</summary>
    public DataReport Report { get; init; } = new();
}

/// <summary>
/// Reads preference / KTO / SFT data from JSONL (<c>.jsonl</c>, <c>.json</c> with one object per line) or CSV (<c>.csv</c>).
/// The form is decided by the first valid row (<see cref="RowParser.Detect"/>); later rows of another form are bad rows.
/// Bad rows never crash the reader and are never dropped silently: each becomes a <see cref="DataError"/> in the report
/// (<see cref="OnBadRow.Skip"/>) or a <see cref="DataException"/> (<see cref="OnBadRow.Fail"/>).
/// </summary>
public static class DataReader
{
    /// <summary>Reads <paramref name="path"/>; <paramref name="form"/> forces a form instead of detecting it.</summary>
    public static DataSet Read(string path, OnBadRow onBadRow = OnBadRow.Skip, DataForm? form = null)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"data file '{path}' does not exist. HINT: pass a .jsonl or .csv file", path);
        var ext = Path.GetExtension(path).ToLowerInvariant();
        var rows = ext switch
        {
            ".csv" => CsvSource.Read(path),
            ".jsonl" or ".json" or ".ndjson" => JsonlSource.Read(path),
            _ => throw new ArgumentException($"'{path}': unknown data file type '{ext}'. HINT: use .jsonl (one JSON object per line) or .csv (with a header row)", nameof(path)),
        };

        var report = new DataReport();
        DataForm? fixedForm = form;
        var formLine = 0;
        var accepted = new List<object>();
        foreach (var raw in rows)
        {
            report.RowsRead++;
            try
            {
                if (raw.Error != null) throw raw.Error;
                var row = raw.Object!;
                var detected = RowParser.Detect(row);
                var useForm = fixedForm ?? detected ?? throw new BadRow("(row)", DataErrorKind.UnknownForm,
                    $"the fields ({string.Join(", ", row.Select(kv => kv.Key))}) match no supported form", RowParser.Closest(row));
                if (fixedForm is { } f && detected is { } d && !RowParser.SameFamily(f, d))
                    throw new BadRow("(row)", DataErrorKind.FormMismatch,
                        $"the row is in {RowParser.Describe(d)} but the file is in {RowParser.Describe(f)}" + (formLine > 0 ? $" (decided by line {formLine})" : ""),
                        "put rows of each form in their own file");
                accepted.Add(RowParser.Parse(row, useForm, raw.Origin));
                if (fixedForm == null || formLine == 0) { fixedForm = useForm; formLine = raw.Origin.Line; }
            }
            catch (BadRow bad)
            {
                var error = bad.At(raw.Origin);
                if (onBadRow == OnBadRow.Fail) throw new DataException(error);
                report.Add(error);
            }
        }

        var set = new DataSet { Form = fixedForm, FormLine = formLine, Report = report };
        foreach (var r in accepted)
        {
            switch (r)
            {
                case PreferenceRow p: set.Pairs.Add(p); break;
                case UnpairedRow u: set.Unpaired.Add(u); break;
                case SftRow s: set.Sft.Add(s); break;
            }
        }
        report.RowsAccepted = accepted.Count;
        return set;
    }
}
