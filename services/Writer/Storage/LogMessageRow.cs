using System.Text.Json;
using System.Text.Json.Nodes;
using HoneyHive.Contracts.Events;

namespace HoneyHive.Writer.Storage;

/// <summary>
/// A published <see cref="LogMessage"/>: one chat message an OTLP log record (a GenAI event) adds to its
/// span's event, with the keys that place it.
/// </summary>
public sealed record LogMessageRow(string Key, string Target, ulong Time, int Sequence, int Index, string MessageJson, string? OrphanEventJson)
{
    public static LogMessageRow Read(JsonElement element)
    {
        if (element.ValueKind != JsonValueKind.Object) throw new InvalidOperationException("a log message is not a JSON object");
        string Text(string name) => element.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString()! : "";
        var key = Text("key");
        if (key.Length == 0) throw new InvalidOperationException("a log message lacks its key");
        return new LogMessageRow(
            key,
            Text("target") == LogMessage.Choice ? LogMessage.Choice : LogMessage.ChatHistory,
            element.TryGetProperty("time", out var time) && time.ValueKind == JsonValueKind.Number && time.TryGetUInt64(out var t) ? t : 0,
            element.TryGetProperty("seq", out var seq) && seq.ValueKind == JsonValueKind.Number && seq.TryGetInt32(out var s) ? s : 0,
            // Null for chat history messages.
            element.TryGetProperty("index", out var index) && index.ValueKind == JsonValueKind.Number && index.TryGetInt32(out var i) ? i : 0,
            element.TryGetProperty("message", out var message) && message.ValueKind == JsonValueKind.Object ? message.GetRawText() : "{}",
            element.TryGetProperty("orphan_event", out var orphan) && orphan.ValueKind == JsonValueKind.Object ? orphan.GetRawText() : null);
    }
}

/// <summary>
/// Merges log messages into an event revision: chat_history messages after the span's own ones, in record
/// order (time, then position in the request); choices by index into <c>outputs</c> (the first choice's
/// fields at the top, all of them under <c>choices</c>). The keys merged so far are kept in metadata
/// <see cref="IndexKey"/> with the order of each, so a message merges once and lands in its place whichever
/// order the updates apply in.
/// </summary>
public static class LogMessageMerge
{
    /// <summary>Metadata key of the merged records' order keys: {"chat_history": [[time, seq, key]...], "choice": [[index, time, seq, key]...]}.</summary>
    public const string IndexKey = "gen_ai_log_records";

    private static readonly JsonSerializerOptions RelaxedJson = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Whether anything was added (a redelivered update adds nothing).</summary>
    public static bool Apply(EventRow row, IReadOnlyList<LogMessageRow> messages)
    {
        var index = row.Metadata.TryGetValue(IndexKey, out var indexText) && Parse(indexText) is JsonObject parsed ? parsed : new JsonObject();
        var historyIndex = Entries(index, LogMessage.ChatHistory);
        var choiceIndex = Entries(index, LogMessage.Choice);
        var known = historyIndex.Concat(choiceIndex).Select(e => e.Key).ToHashSet(StringComparer.Ordinal);
        var fresh = messages.Where(m => known.Add(m.Key)).ToList();
        if (fresh.Count == 0) return false;

        var newHistory = fresh.Where(m => m.Target == LogMessage.ChatHistory).ToList();
        if (newHistory.Count > 0)
        {
            var history = row.Inputs.TryGetValue("chat_history", out var text) && Parse(text) is JsonArray array ? array : new JsonArray();
            // Messages the span carried itself (attributes) come first; the log messages follow them.
            var own = Math.Max(0, history.Count - historyIndex.Count);
            if (history.Count - own != historyIndex.Count) historyIndex.Clear();
            foreach (var message in newHistory)
            {
                var entry = new Entry(0, message.Time, message.Sequence, message.Key);
                var at = historyIndex.FindIndex(e => e.CompareTo(entry) > 0);
                if (at < 0) at = historyIndex.Count;
                historyIndex.Insert(at, entry);
                history.Insert(own + at, JsonNode.Parse(message.MessageJson));
            }
            row.Inputs["chat_history"] = history.ToJsonString(RelaxedJson);
        }

        var newChoices = fresh.Where(m => m.Target == LogMessage.Choice).ToList();
        if (newChoices.Count > 0)
        {
            // The choices merged so far are outputs.choices; outputs the span had itself are replaced by them.
            var choices = choiceIndex.Count > 0 && row.Outputs.TryGetValue("choices", out var text) && Parse(text) is JsonArray array && array.Count == choiceIndex.Count
                ? array
                : [];
            if (choices.Count == 0) choiceIndex.Clear();
            if (choices.FirstOrDefault() is JsonObject previousFirst)
            {
                foreach (var (key, _) in previousFirst) row.Outputs.Remove(key);
            }
            foreach (var message in newChoices)
            {
                var entry = new Entry(message.Index, message.Time, message.Sequence, message.Key);
                var at = choiceIndex.FindIndex(e => e.CompareTo(entry) > 0);
                if (at < 0) at = choiceIndex.Count;
                choiceIndex.Insert(at, entry);
                choices.Insert(at, JsonNode.Parse(message.MessageJson));
            }
            if (choices[0] is JsonObject first)
            {
                foreach (var (key, value) in first) row.Outputs[key] = value?.ToJsonString(RelaxedJson) ?? "null";
            }
            row.Outputs["choices"] = choices.ToJsonString(RelaxedJson);
        }

        index[LogMessage.ChatHistory] = new JsonArray(historyIndex.Select(e => (JsonNode)new JsonArray(e.Time, e.Sequence, e.Key)).ToArray());
        index[LogMessage.Choice] = new JsonArray(choiceIndex.Select(e => (JsonNode)new JsonArray(e.Index, e.Time, e.Sequence, e.Key)).ToArray());
        row.Metadata[IndexKey] = index.ToJsonString(RelaxedJson);
        return true;
    }

    private static List<Entry> Entries(JsonObject index, string target)
    {
        var entries = new List<Entry>();
        if (index[target] is not JsonArray array) return entries;
        foreach (var item in array.OfType<JsonArray>())
        {
            // History entries are [time, seq, key]; choice entries [index, time, seq, key].
            var offset = target == LogMessage.Choice ? 1 : 0;
            if (item.Count != 3 + offset) continue;
            entries.Add(new Entry(
                offset == 1 ? item[0]!.GetValue<int>() : 0,
                item[offset]!.GetValue<ulong>(),
                item[offset + 1]!.GetValue<int>(),
                item[offset + 2]!.GetValue<string>()));
        }
        return entries;
    }

    private static JsonNode? Parse(string text)
    {
        try
        {
            return JsonNode.Parse(text);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private sealed record Entry(int Index, ulong Time, int Sequence, string Key) : IComparable<Entry>
    {
        public int CompareTo(Entry? other)
        {
            if (other is null) return 1;
            var byIndex = Index.CompareTo(other.Index);
            if (byIndex != 0) return byIndex;
            var byTime = Time.CompareTo(other.Time);
            if (byTime != 0) return byTime;
            var bySequence = Sequence.CompareTo(other.Sequence);
            return bySequence != 0 ? bySequence : string.CompareOrdinal(Key, other.Key);
        }
    }
}
