namespace Toolkit.Core.Tokenizers;

/// <summary>
/// One entry of tokenizer.json's <c>added_tokens</c>: a string that is cut out of the text before the model runs and
/// always becomes its own id. <c>Special</c> tokens (&lt;|im_start|&gt;, &lt;bos&gt;) are also dropped by
/// <c>Decode(skipSpecialTokens: true)</c>. <c>LStrip</c>/<c>RStrip</c> swallow the whitespace to the left/right;
/// <c>SingleWord</c> matches only outside words; <c>Normalized</c> tokens are matched in the normalized text.
/// </summary>
public sealed record AddedToken(int Id, string Content, bool Special, bool LStrip = false, bool RStrip = false,
    bool SingleWord = false, bool Normalized = false)
{
    internal static AddedToken FromJson(JsonAt node)
    {
        var special = node["special"].Bool(false);
        var content = node["content"].String();
        if (content.Length == 0) throw node["content"].Bad("an added token's content must not be empty");
        return new AddedToken(node["id"].Int(), content, special, node["lstrip"].Bool(false), node["rstrip"].Bool(false),
            node["single_word"].Bool(false), node["normalized"].Bool(!special));
    }
}

/// <summary>
/// Cuts text at added tokens: scanning left to right, at each position the longest added token that starts there
/// (as the reference implementations' trie / leftmost-longest automaton do).
/// </summary>
sealed class AddedTokenSplitter
{
    sealed class Node
    {
        public Dictionary<char, Node>? Children;
        public AddedToken? Token;
    }

    readonly Node _root = new();
    readonly bool[] _firstChar = new bool[0x10000];

    public bool IsEmpty { get; }

    public AddedTokenSplitter(IEnumerable<AddedToken> tokens)
    {
        var any = false;
        foreach (var t in tokens)
        {
            var node = _root;
            foreach (var c in t.Content)
            {
                node.Children ??= [];
                if (!node.Children.TryGetValue(c, out var child)) node.Children[c] = child = new Node();
                node = child;
            }
            node.Token ??= t;
            _firstChar[t.Content[0]] = true;
            any = true;
        }
        IsEmpty = !any;
    }

    /// <summary>Appends the sections of <paramref name="text"/>: plain text (Token null) and added tokens, lstrip/rstrip applied.</summary>
    public void Split(string text, List<(string Text, AddedToken? Token)> output)
    {
        var first = output.Count;
        var start = 0;
        var i = 0;
        while (i < text.Length)
        {
            if (!_firstChar[text[i]]) { i++; continue; }
            var node = _root;
            AddedToken? match = null;
            for (var j = i; j < text.Length && node.Children != null && node.Children.TryGetValue(text[j], out var next); j++)
            {
                node = next;
                if (node.Token != null && (!node.Token.SingleWord || IsWordBoundary(text, i, j + 1))) match = node.Token;
            }
            if (match == null) { i++; continue; }
            if (i > start) output.Add((text[start..i], null));
            output.Add((match.Content, match));
            i += match.Content.Length;
            start = i;
        }
        if (start < text.Length) output.Add((start == 0 ? text : text[start..], null));

        for (var k = first; k < output.Count; k++)
        {
            if (output[k].Token is not { } t) continue;
            if (t.LStrip && k > first && output[k - 1].Token == null) output[k - 1] = (output[k - 1].Text.TrimEnd(), null);
            if (t.RStrip && k + 1 < output.Count && output[k + 1].Token == null) output[k + 1] = (output[k + 1].Text.TrimStart(), null);
        }
    }

    static bool IsWordBoundary(string text, int start, int end) =>
        (start == 0 || !char.IsLetterOrDigit(text[start - 1])) && (end == text.Length || !char.IsLetterOrDigit(text[end]));
}
