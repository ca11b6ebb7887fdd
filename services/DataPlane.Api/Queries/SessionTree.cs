using System.Globalization;
using System.Text.Json;

namespace HoneyHive.DataPlane.Api.Queries;

/// <summary>
/// A session's current events as a tree, written straight from the store's rows with a
/// <see cref="Utf8JsonWriter"/>: only a parent/child index of row numbers is built, never a JSON object
/// per span (building and serializing those was half the time of a 1,000-span tree).
/// <para>
/// The root is the session event (the one whose id is the session's, else the first session event);
/// without one (spans whose session row has not arrived) a root is synthesized from the spans. Children
/// keep the rows' order (start time, then event id). An event whose parent is missing, itself, or below it
/// (a cycle) hangs under the root, so nothing in the session is hidden. The root's metadata carries the
/// exact roll-ups of the current revisions, over any the Writer stored on the session row.
/// </para>
/// </summary>
public sealed class SessionTree
{
    private static readonly string[] TokenAndCostKeys = ["cost", "total_tokens", "prompt_tokens", "completion_tokens"];

    private readonly string sessionId;
    private readonly IReadOnlyList<JsonElement> rows;
    private readonly IReadOnlyDictionary<string, string>? payloads;
    private readonly int root;
    private readonly List<int>?[] children;
    private readonly MetadataValue[] rollups;

    /// <param name="rows">Current events of the session in start time, event id order, one row per event.</param>
    public SessionTree(string sessionId, IReadOnlyList<JsonElement> rows, IReadOnlyDictionary<string, string>? payloads)
    {
        if (rows.Count == 0) throw new ArgumentException("A tree needs at least one event.", nameof(rows));
        this.sessionId = sessionId;
        this.rows = rows;
        this.payloads = payloads;

        var index = new Dictionary<string, int>(rows.Count, StringComparer.Ordinal);
        var parents = new string[rows.Count];
        root = -1;
        for (var i = 0; i < rows.Count; i++)
        {
            var id = rows[i].GetProperty("event_id").GetString()!;
            index[id] = i;
            parents[i] = rows[i].GetProperty("parent_id").GetString() ?? "";
            if (rows[i].GetProperty("event_type").GetString() == "session" && (root < 0 || id == sessionId)) root = i;
        }

        // Slot rows.Count stands for a synthesized root.
        var top = root >= 0 ? root : rows.Count;
        children = new List<int>?[rows.Count + 1];
        // Where each row hangs so far (-1: not yet placed); placing in row order and refusing a parent below the
        // row is what keeps the tree acyclic, as the order of attachment decides which edge of a cycle breaks.
        var container = new int[rows.Count];
        Array.Fill(container, -1);
        for (var i = 0; i < rows.Count; i++)
        {
            if (i == root) continue;
            var parentId = parents[i];
            var target = parentId.Length > 0 && index.TryGetValue(parentId, out var p) && p != i && !IsBelow(p, i, container, root) ? p : top;
            container[i] = target;
            (children[target] ??= []).Add(i);
        }

        Spans = root >= 0 ? rows.Count - 1 : rows.Count;
        rollups = Rollups(rows);
    }

    /// <summary>Events below the root.</summary>
    public int Spans { get; }

    /// <summary>Writes the tree as one JSON object (depth grows two levels per span: the writer's MaxDepth must allow it).</summary>
    public void Write(Utf8JsonWriter writer)
    {
        var top = root >= 0 ? root : rows.Count;
        Open(writer, top);
        // Depth first without recursion: a chain of 100,000 spans must not exhaust the stack.
        var stack = new Stack<(int Node, int Next)>();
        stack.Push((top, 0));
        while (stack.Count > 0)
        {
            var (node, next) = stack.Pop();
            var below = children[node];
            if (below is not null && next < below.Count)
            {
                stack.Push((node, next + 1));
                Open(writer, below[next]);
                stack.Push((below[next], 0));
                continue;
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }
    }

    /// <summary>The node's fields and the start of its children array.</summary>
    private void Open(Utf8JsonWriter writer, int node)
    {
        writer.WriteStartObject();
        if (node == rows.Count) WriteSyntheticRootFields(writer);
        else EventRowJson.WriteFields(writer, rows[node], null, payloads, node == root ? rollups : null);
        writer.WriteStartArray("children");
    }

    private void WriteSyntheticRootFields(Utf8JsonWriter writer)
    {
        var first = rows[0];
        var start = long.MaxValue;
        var end = long.MinValue;
        foreach (var row in rows)
        {
            start = Math.Min(start, EventRowJson.ReadInt64(row.GetProperty("start_ms")));
            end = Math.Max(end, EventRowJson.ReadInt64(row.GetProperty("end_ms")));
        }

        writer.WriteString("event_id", sessionId);
        writer.WriteString("project_id", first.GetProperty("project_id").GetString());
        writer.WriteString("org_id", first.GetProperty("org_id").GetString());
        writer.WriteString("workspace_id", first.GetProperty("workspace_id").GetString());
        writer.WriteString("session_id", sessionId);
        writer.WriteStartArray("children_ids");
        writer.WriteEndArray();
        writer.WriteString("event_type", "session");
        writer.WriteString("event_name", "session");
        writer.WriteString("source", first.GetProperty("source").GetString());
        writer.WriteNumber("start_time", start);
        writer.WriteNumber("end_time", end);
        writer.WriteNumber("duration", end - start);
        writer.WriteNull("error");
        foreach (var bucket in (string[])["config", "inputs", "outputs"]) EmptyObject(writer, bucket);
        writer.WriteStartObject("metadata");
        foreach (var value in rollups) value.Write(writer);
        writer.WriteEndObject();
        foreach (var bucket in (string[])["metrics", "feedback", "user_properties"]) EmptyObject(writer, bucket);
    }

    private static void EmptyObject(Utf8JsonWriter writer, string name)
    {
        writer.WriteStartObject(name);
        writer.WriteEndObject();
    }

    /// <summary>True when <paramref name="candidate"/> is <paramref name="node"/> or hangs below it as placed so far.</summary>
    private static bool IsBelow(int candidate, int node, int[] container, int root)
    {
        for (var current = candidate; current >= 0 && current < container.Length && current != root; current = container[current])
            if (current == node) return true;
        return false;
    }

    private static MetadataValue[] Rollups(IReadOnlyList<JsonElement> rows)
    {
        long spans = 0, models = 0;
        var feedback = false;
        var sums = new double[TokenAndCostKeys.Length];
        foreach (var row in rows)
        {
            feedback |= row.GetProperty("feedback").EnumerateObject().Any();
            var type = row.GetProperty("event_type").GetString();
            if (type == "session") continue;
            spans++;
            if (type == "model") models++;
            var metadata = row.GetProperty("metadata");
            for (var k = 0; k < TokenAndCostKeys.Length; k++)
                if (metadata.TryGetProperty(TokenAndCostKeys[k], out var value)) sums[k] += NumberOf(value.GetString());
        }

        var values = new List<MetadataValue>
        {
            MetadataValue.Of("num_events", spans),
            MetadataValue.Of("num_model_events", models),
            MetadataValue.Of("has_feedback", feedback),
        };
        for (var k = 0; k < TokenAndCostKeys.Length; k++) values.Add(MetadataValue.Of(TokenAndCostKeys[k], sums[k]));
        return [.. values];
    }

    private static double NumberOf(string? json) =>
        json is not null && double.TryParse(json.Trim('"'), NumberStyles.Float, CultureInfo.InvariantCulture, out var value) ? value : 0;
}

/// <summary>The answer of <c>GET /v1/sessions/{id}</c>: the tree written into the response body as it is walked.</summary>
public sealed class SessionTreeResult(SessionTree tree) : IResult
{
    // Two JSON levels per span (object, children array): a long chain of spans is deeper than the default 64.
    private static readonly JsonWriterOptions Options = new() { MaxDepth = 1_000_000 };

    public SessionTree Tree { get; } = tree;

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        httpContext.Response.ContentType = "application/json; charset=utf-8";
        await using var writer = new Utf8JsonWriter(httpContext.Response.BodyWriter, Options);
        Tree.Write(writer);
    }
}
