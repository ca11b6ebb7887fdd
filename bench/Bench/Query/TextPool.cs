using System.Text;

namespace HoneyHive.Bench.Query;

/// <summary>
/// Prose for prompts and completions: a few thousand sentences made once from a vocabulary, then
/// picked per event. Picking whole sentences keeps generation cheap (10M events), and a pool this
/// large keeps the buckets from compressing far better than real traces do (which repeat their
/// system prompts and templates, but not their answers). The text holds no quote or backslash, so
/// it can sit inside hand-built JSON text without escaping.
/// </summary>
public sealed class TextPool
{
    private static readonly string[] Words =
    [
        "the", "a", "customer", "order", "invoice", "refund", "policy", "account", "model", "answer", "question",
        "context", "document", "retrieval", "search", "result", "summary", "shipping", "delivery", "warranty",
        "product", "price", "discount", "subscription", "billing", "error", "timeout", "request", "response",
        "user", "assistant", "support", "ticket", "status", "update", "please", "check", "whether", "because",
        "within", "after", "before", "during", "about", "based", "on", "using", "with", "for", "from", "into",
        "returns", "includes", "requires", "explains", "suggests", "confirms", "cannot", "should", "will", "may",
        "european", "standard", "express", "international", "premium", "basic", "annual", "monthly", "weekly",
        "report", "dashboard", "latency", "token", "budget", "limit", "region", "database", "query", "table",
        "embedding", "vector", "index", "chunk", "source", "citation", "reference", "section", "paragraph",
        "contract", "clause", "term", "renewal", "cancellation", "notice", "period", "days", "hours", "minutes",
        "is", "are", "was", "has", "have", "been", "not", "only", "also", "then", "than", "more", "less", "most",
        "first", "second", "last", "next", "previous", "current", "new", "old", "same", "different", "other",
    ];

    private readonly string[] sentences;

    public TextPool(int count, int seed)
    {
        var random = new Random(seed);
        sentences = new string[count];
        var text = new StringBuilder();
        for (var i = 0; i < count; i++)
        {
            text.Clear();
            var words = random.Next(8, 22);
            for (var w = 0; w < words; w++)
            {
                var word = Words[random.Next(Words.Length)];
                if (w == 0) text.Append(char.ToUpperInvariant(word[0])).Append(word, 1, word.Length - 1);
                else text.Append(' ').Append(word);
                if (w == words / 2 && random.Next(4) == 0) text.Append(',');
            }

            // Numbers make the text less repetitive, as order ids and amounts do in real prompts.
            if (random.Next(3) == 0) text.Append(' ').Append(random.Next(10, 99_999));
            sentences[i] = text.Append(random.Next(6) == 0 ? '?' : '.').ToString();
        }
    }

    /// <summary>About <paramref name="chars"/> characters of whole sentences.</summary>
    public void Append(StringBuilder target, Random random, int chars)
    {
        var end = target.Length + chars;
        var first = true;
        while (target.Length < end)
        {
            if (!first) target.Append(' ');
            target.Append(sentences[random.Next(sentences.Length)]);
            first = false;
        }
    }

    public string Text(Random random, int chars)
    {
        var text = new StringBuilder(chars + 128);
        Append(text, random, chars);
        return text.ToString();
    }
}
