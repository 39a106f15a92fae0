namespace Toolkit.Core.Tokenizers;

/// <summary>
/// A tokenizer.json <c>post_processor</c>, for a single sequence: adds the model's special tokens around the ids
/// (TemplateProcessing: e.g. Gemma's and Llama-3's &lt;bos&gt;; Roberta/Bert: cls … sep) when <c>addSpecialTokens</c> is set.
/// ByteLevel only adjusts offsets, which this reader does not produce, so it leaves ids as they are.
/// </summary>
abstract class PostProcessor
{
    public abstract List<int> Process(List<int> ids, bool addSpecialTokens);

    const string Supported = "TemplateProcessing, ByteLevel, RobertaProcessing, BertProcessing, Sequence";

    public static PostProcessor? FromJson(JsonAt node)
    {
        if (node.IsNull) return null;
        var type = node.Type();
        return type switch
        {
            "TemplateProcessing" => Template.Parse(node),
            "ByteLevel" => new Identity(),
            "RobertaProcessing" or "BertProcessing" => new Around(PairId(node["cls"]), PairId(node["sep"])),
            "Sequence" => new Sequence(node["processors"].Items().Select(FromJson).OfType<PostProcessor>().ToArray()),
            _ => throw node["type"].Unsupported("post_processor", type, Supported),
        };
    }

    static int PairId(JsonAt pair)
    {
        var items = pair.Items().ToArray();
        if (items.Length != 2) throw pair.Bad("expected [token, id]");
        return items[1].Int();
    }

    sealed class Identity : PostProcessor
    {
        public override List<int> Process(List<int> ids, bool addSpecialTokens) => ids;
    }

    sealed class Around(int first, int last) : PostProcessor
    {
        public override List<int> Process(List<int> ids, bool addSpecialTokens)
        {
            if (!addSpecialTokens) return ids;
            ids.Insert(0, first);
            ids.Add(last);
            return ids;
        }
    }

    sealed class Sequence(PostProcessor[] steps) : PostProcessor
    {
        public override List<int> Process(List<int> ids, bool addSpecialTokens)
        {
            foreach (var s in steps) ids = s.Process(ids, addSpecialTokens);
            return ids;
        }
    }

    /// <summary>TemplateProcessing's <c>single</c> template: a list of SpecialToken items and the Sequence "A".</summary>
    sealed class Template(List<int[]?> items) : PostProcessor
    {
        public static Template Parse(JsonAt node)
        {
            var special = node["special_tokens"];
            var items = new List<int[]?>();
            foreach (var item in node["single"].Items())
            {
                if (item.Has("Sequence")) { items.Add(null); continue; }
                if (!item.Has("SpecialToken")) throw item.Bad("a template item must be {\"SpecialToken\": ...} or {\"Sequence\": ...}");
                var name = item["SpecialToken"]["id"].String();
                var entry = special[name];
                if (entry.IsNull) throw item["SpecialToken"]["id"].Bad($"special token '{name}' is not listed in special_tokens");
                items.Add(entry["ids"].Items().Select(x => x.Int()).ToArray());
            }
            return new Template(items);
        }

        public override List<int> Process(List<int> ids, bool addSpecialTokens)
        {
            var result = new List<int>(ids.Count + 4);
            foreach (var item in items)
            {
                if (item == null) result.AddRange(ids);
                else if (addSpecialTokens) result.AddRange(item);
            }
            return result;
        }
    }
}
