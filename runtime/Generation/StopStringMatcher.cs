namespace Toolkit.Runtime.Generation;

/// <summary>
/// Finds stop strings in text that arrives piece by piece, and says which text is safe to show: text that could be the
/// start of a stop string is held back until the next pieces decide. So streamed text never shows part of a stop
/// string, and what was streamed plus <see cref="Flush"/> is exactly the text before the first stop string.
/// </summary>
internal sealed class StopStringMatcher
{
    readonly IReadOnlyList<string> _stops;
    readonly int _longest;
    string _held = "";

    public StopStringMatcher(IReadOnlyList<string> stops)
    {
        _stops = stops;
        _longest = stops.Count == 0 ? 0 : stops.Max(s => s.Length);
    }

    /// <summary>True once a stop string has been seen (later pushes return nothing).</summary>
    public bool Stopped { get; private set; }

    /// <summary>Adds <paramref name="piece"/>; returns the text now safe to show.</summary>
    public string Push(string piece)
    {
        if (Stopped || piece.Length == 0) return "";
        if (_stops.Count == 0) return piece;
        var text = _held + piece;
        var first = -1;
        foreach (var s in _stops)
        {
            var at = text.IndexOf(s, StringComparison.Ordinal);
            if (at >= 0 && (first < 0 || at < first)) first = at;
        }
        if (first >= 0)
        {
            Stopped = true;
            _held = "";
            return text[..first];
        }
        // hold back the longest tail that is a proper prefix of some stop string
        var hold = 0;
        for (var n = Math.Min(_longest - 1, text.Length); n > 0 && hold == 0; n--)
            foreach (var s in _stops)
                if (s.Length > n && string.CompareOrdinal(text, text.Length - n, s, 0, n) == 0) { hold = n; break; }
        _held = text[(text.Length - hold)..];
        return text[..(text.Length - hold)];
    }

    /// <summary>At the end: the text held back (it did not become a stop string).</summary>
    public string Flush()
    {
        var rest = Stopped ? "" : _held;
        _held = "";
        return rest;
    }
}
