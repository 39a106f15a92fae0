namespace Toolkit.Train.Data;

/// <summary>Internal signal from the parsers: this row is bad at <see cref="Field"/>. Caught per row and turned into a <see cref="DataError"/>.</summary>
internal sealed class BadRow(string field, DataErrorKind kind, string problem, string hint) : Exception(problem)
{
    public string Field { get; } = field;
    public DataErrorKind Kind { get; } = kind;
    public string Problem { get; } = problem;
    public string Hint { get; } = hint;

    public DataError At(RowOrigin origin) => new(origin.File, origin.Line, Field, Kind, Problem, Hint);
}
