namespace Toolkit.Train.Data;

/// <summary>Why a row was refused. Each kind is counted separately in <see cref="DataReport"/>.</summary>
public enum DataErrorKind
{
    /// <summary>The line is not valid JSON (JSONL) or the record cannot be parsed (CSV).</summary>
    InvalidJson,
    /// <summary>The bytes of the line are not valid UTF-8.</summary>
    InvalidUtf8,
    /// <summary>A field the form needs is absent.</summary>
    MissingField,
    /// <summary>A field has the wrong JSON type (e.g. a number where text is expected, a list that is not of messages).</summary>
    WrongType,
    /// <summary>chosen, rejected or completion is empty (or only whitespace).</summary>
    EmptyCompletion,
    /// <summary>chosen and rejected are the same: the pair teaches nothing.</summary>
    IdenticalPair,
    /// <summary>Implicit prompt: chosen and rejected share no leading text / message, so no prompt can be extracted.</summary>
    NoSharedPrompt,
    /// <summary>The row's fields match none of the supported forms.</summary>
    UnknownForm,
    /// <summary>The row is of another form than the file (the form is decided by the file's first valid row).</summary>
    FormMismatch,
    /// <summary>The chat template renders the prompt alone differently from the start of prompt + answer.</summary>
    TemplateMismatch,
    /// <summary>The line is longer than <see cref="RowLimits.MaxRowBytes"/>; it was skipped unread.</summary>
    RowTooLong,
}

/// <summary>
/// One refused row: where it is (file, 1-based line, field path such as <c>chosen[1].content</c>), why, and what to do.
/// <see cref="ToString"/> gives the one-line form <c>file:line: field 'x': problem. HINT: fix</c>.
/// </summary>
public sealed record DataError(string File, int Line, string Field, DataErrorKind Kind, string Problem, string Hint)
{
    /// <inheritdoc/>
    public override string ToString() => $"{File}:{Line}: field '{Field}': {Problem}. HINT: {Hint}";
}

/// <summary>Thrown for the first bad row when <see cref="OnBadRow.Fail"/> is chosen; carries the <see cref="DataError"/>.</summary>
public sealed class DataException(DataError error) : Exception(error.ToString())
{
    /// <summary>The refused row.</summary>
    public DataError Error { get; } = error;
}

/// <summary>What to do with a bad row: <see cref="Skip"/> reports it and goes on; <see cref="Fail"/> throws a <see cref="DataException"/>.</summary>
public enum OnBadRow
{
    /// <summary>Record the error in the report, leave the row out and go on.</summary>
    Skip,
    /// <summary>Throw <see cref="DataException"/> at the first bad row.</summary>
    Fail,
}
