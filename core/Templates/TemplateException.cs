namespace Toolkit.Core.Templates;

/// <summary>
/// A chat template failed to parse or to render. <see cref="Line"/> and <see cref="Column"/> (1-based) point into the
/// template source; <see cref="RaisedMessage"/> is set when the template itself called <c>raise_exception(msg)</c>.
/// </summary>
public sealed class TemplateException : Exception
{
    /// <summary>1-based line in the template source, or 0 when the error has no position.</summary>
    public int Line { get; }

    /// <summary>1-based column in the template source, or 0 when the error has no position.</summary>
    public int Column { get; }

    /// <summary>The message the template passed to <c>raise_exception</c>; null for every other error.</summary>
    public string? RaisedMessage { get; }

    public TemplateException(string message, int line, int column, string? raisedMessage = null, Exception? inner = null)
        : base(line > 0 ? $"{message} (template line {line}:{column})" : message, inner)
    {
        Line = line;
        Column = column;
        RaisedMessage = raisedMessage;
    }

    TemplateException(string fullMessage, int line, int column, string? raisedMessage, Exception inner, bool _)
        : base(fullMessage, inner)
    {
        Line = line;
        Column = column;
        RaisedMessage = raisedMessage;
    }

    /// <summary>The same error with the template's file named first: "<c>path: field 'chat_template': message (template line L:C)</c>".</summary>
    public TemplateException From(string path)
    {
        var field = path.EndsWith(".jinja", StringComparison.OrdinalIgnoreCase) ? "" : "field 'chat_template': ";
        return new TemplateException($"{path}: {field}{Message}", Line, Column, RaisedMessage, this, true);
    }

    internal TemplateException(string message, Pos pos, string? raisedMessage = null)
        : this(message, pos.Line, pos.Column, raisedMessage) { }
}

/// <summary>A 1-based line:column position in the original template source.</summary>
internal readonly record struct Pos(int Line, int Column)
{
    public override string ToString() => $"{Line}:{Column}";
}
