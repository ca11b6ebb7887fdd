using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace HoneyHive.Bench.Query;

/// <summary>
/// Writes `events` rows (Schema/0001_events.sql) as JSONEachRow, session by session, the way the Writer
/// stores an instrumented LLM app's traces: a session row (client revision, version 2^32), its spans
/// (chains, model calls with chat history, config, token counts and cost, tool calls; ~1 KB each; a few
/// errors) nested under chains, and the Writer's roll-up revision of the session row (version 2^32 + 1:
/// num_events, tokens, cost, final outputs, top-level children). Sessions have 10–1,000 spans from a
/// truncated Pareto distribution (median ≈ 18, a long tail of large agent runs) and start anywhere in
/// the last 30 days. The first session has exactly <see cref="LargeSessionSpans"/> spans.
/// Deterministic for a seed and a start time: ids come from the seeded generator too.
/// </summary>
public sealed class TraceGenerator
{
    public const int LargeSessionSpans = 1000;
    public const int MinSpans = 10;
    public const int MaxSpans = 1000;
    public const ulong ClientVersion = 1UL << 32;

    private const double ParetoAlpha = 1.2;
    private static readonly TimeSpan Spread = TimeSpan.FromDays(30);
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, SkipValidation = true };

    private static readonly (string Name, string Provider, double InPerMillion, double OutPerMillion, int Weight)[] Models =
    [
        ("gpt-4o-mini", "openai", 0.15, 0.60, 40),
        ("gpt-4o", "openai", 2.50, 10.00, 30),
        ("claude-3-5-sonnet-20241022", "anthropic", 3.00, 15.00, 20),
        ("claude-3-haiku-20240307", "anthropic", 0.25, 1.25, 10),
    ];

    private static readonly string[] Tools = ["search_docs", "vector_search", "sql_query", "get_order", "http_request", "send_email", "calculator"];
    private static readonly string[] Chains = ["retrieve_context", "plan_step", "agent_step", "rerank", "summarize", "answer"];
    private static readonly string[] Flows = ["support_chat", "order_lookup", "doc_qa", "email_triage", "report_builder", "sql_agent", "onboarding_bot", "research_agent"];
    private static readonly string[] Sources = ["production", "production", "production", "staging", "evaluation"];
    private static readonly string[] ModelErrors = ["RateLimitError: 429 Too Many Requests", "APITimeoutError: request timed out after 60s", "BadRequestError: context_length_exceeded", "InternalServerError: 500 upstream error"];
    private static readonly string[] ToolErrors = ["TimeoutError: tool call exceeded 10s", "HTTPError: 503 Service Unavailable", "ValueError: invalid SQL near 'FROM'", "KeyError: 'order_id'"];

    private static readonly List<string> NoChildren = [];

    private readonly Random random;
    private readonly TextPool text;
    private readonly string[] systemPrompts;
    private readonly Project[] projects;
    private readonly long nowMicros;
    private readonly long totalEvents;
    private readonly StringBuilder scratch = new(4096);
    private readonly List<(string Id, int Depth)> chains = [];
    private readonly List<string> topLevel = [];
    private readonly char[] timeChars = new char[32];
    private long eventsWritten;
    private long rowsWritten;

    /// <param name="mainProject">The measured tenant's id (the Host's bootstrap project when the routes are timed); new when null.</param>
    public TraceGenerator(long totalEvents, int seed, DateTimeOffset now, Guid? mainProject = null)
    {
        this.totalEvents = totalEvents;
        random = new Random(seed);
        text = new TextPool(20_000, seed + 1);
        systemPrompts = Enumerable.Range(0, 16).Select(_ => "You are a helpful assistant for ACME. " + text.Text(random, 350)).ToArray();
        nowMicros = (now.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10;
        // One large tenant (the one measured) and a few small ones, as a shared deployment has.
        projects =
        [
            new Project(mainProject?.ToString() ?? NewId(), NewId(), NewId(), 85),
            new Project(NewId(), NewId(), NewId(), 8),
            new Project(NewId(), NewId(), NewId(), 5),
            new Project(NewId(), NewId(), NewId(), 2),
        ];
        LargeSessionId = NewId();
    }

    /// <summary>The tenant the queries run against (~85 % of the events).</summary>
    public Guid MainProject => Guid.Parse(projects[0].Id);

    /// <summary>The session with exactly <see cref="LargeSessionSpans"/> spans (in <see cref="MainProject"/>).</summary>
    public string LargeSessionId { get; }

    /// <summary>Distinct events written (session events and spans).</summary>
    public long EventsWritten => eventsWritten;

    /// <summary>Rows written: events plus the session roll-up revisions.</summary>
    public long RowsWritten => rowsWritten;

    public bool Done => eventsWritten >= totalEvents;

    /// <summary>Writes whole sessions until at least <paramref name="minRows"/> rows are in the buffer or all events are written; returns the rows.</summary>
    public int WriteBatch(IBufferWriter<byte> buffer, int minRows)
    {
        using var writer = new Utf8JsonWriter(buffer, WriterOptions);
        var rows = 0;
        while (rows < minRows && !Done)
            rows += WriteSession(writer, buffer);
        return rows;
    }

    private int WriteSession(Utf8JsonWriter writer, IBufferWriter<byte> buffer)
    {
        var first = eventsWritten == 0;
        var project = first ? projects[0] : PickProject();
        var sessionId = first ? LargeSessionId : NewId();
        var spans = first ? LargeSessionSpans : SessionSize();
        spans = (int)Math.Max(0, Math.Min(spans, totalEvents - eventsWritten - 1));
        var source = Sources[random.Next(Sources.Length)];
        var flow = Flows[random.Next(Flows.Length)];
        var start = nowMicros - (long)(random.NextDouble() * Spread.Ticks / 10);
        var session = new SessionTotals();

        chains.Clear();
        topLevel.Clear();
        var cursor = start + random.Next(1_000, 50_000);
        var rootId = NewId();
        for (var i = 0; i < spans; i++)
        {
            // The agent's root chain first, then steps under recent chains (deeper runs stay near their latest step).
            var kind = i == 0 ? SpanKind.Chain : Pick(random.Next(100));
            var (parent, parentDepth) = i == 0 ? (sessionId, 0) : chains[Math.Max(0, chains.Count - 1 - Geometric(0.5))];
            var depth = parentDepth + 1;
            var id = i == 0 ? rootId : NewId();
            if (kind == SpanKind.Chain && depth < 8) chains.Add((id, depth));
            else if (kind == SpanKind.Chain) kind = SpanKind.Tool;
            if (parent == sessionId) topLevel.Add(id);

            var duration = kind switch
            {
                SpanKind.Model => 250 + 7_000 * Math.Pow(random.NextDouble(), 2.5),
                SpanKind.Tool => 5 + 900 * Math.Pow(random.NextDouble(), 3),
                _ => 20 + 2_500 * Math.Pow(random.NextDouble(), 2),
            };
            var micros = (long)(duration * 1000);
            WriteSpan(writer, project, sessionId, id, parent, kind, source, cursor, micros, session);
            buffer.Write("\n"u8);
            writer.Reset();
            // Chains wrap their steps, so the next span starts inside them; other steps run one after another.
            cursor += kind == SpanKind.Chain ? random.Next(100, 3_000) : micros + random.Next(100, 20_000);
        }

        var end = Math.Max(cursor, start + 1_000);
        var sessionSeed = random.Next();
        WriteSessionRow(writer, project, sessionId, flow, source, start, end, session, sessionSeed, rollup: false);
        buffer.Write("\n"u8);
        writer.Reset();
        WriteSessionRow(writer, project, sessionId, flow, source, start, end, session, sessionSeed, rollup: true);
        buffer.Write("\n"u8);
        writer.Reset();

        eventsWritten += spans + 1;
        rowsWritten += spans + 2;
        return spans + 2;
    }

    private void WriteSpan(Utf8JsonWriter w, Project project, string sessionId, string id, string parent, SpanKind kind,
        string source, long start, long micros, SessionTotals session)
    {
        string? error = null;
        Head(w, project, sessionId, id, parent, kind switch { SpanKind.Model => "model", SpanKind.Tool => "tool", _ => "chain" }, NoChildren);
        switch (kind)
        {
            case SpanKind.Model:
            {
                var model = PickModel();
                w.WriteString("event_name"u8, model.Provider == "openai" ? "openai.chat" : "anthropic.messages");
                Common(w, source, start, micros);
                var prompt = 200 + (int)(6_000 * Math.Pow(random.NextDouble(), 2));
                var completion = 20 + (int)(1_200 * Math.Pow(random.NextDouble(), 2));
                var cost = (prompt * model.InPerMillion + completion * model.OutPerMillion) / 1_000_000;
                if (random.Next(1000) < 15) error = ModelErrors[random.Next(ModelErrors.Length)];
                Error(w, error);

                w.WriteStartObject("inputs"u8);
                scratch.Clear().Append("[{\"role\":\"system\",\"content\":\"").Append(systemPrompts[random.Next(systemPrompts.Length)])
                    .Append("\"},{\"role\":\"user\",\"content\":\"");
                text.Append(scratch, random, random.Next(60, 260));
                scratch.Append("\"}]");
                w.WriteString("chat_history"u8, scratch.ToString());
                w.WriteEndObject();

                w.WriteStartObject("outputs"u8);
                if (error is null)
                {
                    w.WriteString("role"u8, "\"assistant\"");
                    var answer = Quoted(random.Next(80, 360));
                    w.WriteString("content"u8, answer);
                    session.FinalOutput = answer;
                }

                w.WriteString("finish_reason"u8, error is null ? "\"stop\"" : "\"error\"");
                w.WriteEndObject();

                w.WriteStartObject("config"u8);
                w.WriteString("model"u8, "\"" + model.Name + "\"");
                w.WriteString("provider"u8, "\"" + model.Provider + "\"");
                w.WriteString("temperature"u8, (random.Next(0, 11) / 10.0).ToString(CultureInfo.InvariantCulture));
                w.WriteString("max_tokens"u8, random.Next(2) == 0 ? "1024" : "4096");
                w.WriteEndObject();

                w.WriteStartObject("metadata"u8);
                w.WriteString("prompt_tokens"u8, prompt.ToString(CultureInfo.InvariantCulture));
                w.WriteString("completion_tokens"u8, completion.ToString(CultureInfo.InvariantCulture));
                w.WriteString("total_tokens"u8, (prompt + completion).ToString(CultureInfo.InvariantCulture));
                w.WriteString("cost"u8, cost.ToString("0.#######", CultureInfo.InvariantCulture));
                w.WriteString("response_model"u8, "\"" + model.Name + "\"");
                w.WriteString("span_kind"u8, "\"llm\"");
                w.WriteEndObject();

                w.WriteStartObject("metrics"u8);
                if (random.Next(5) == 0) w.WriteString("relevance"u8, (random.Next(0, 101) / 100.0).ToString(CultureInfo.InvariantCulture));
                w.WriteEndObject();
                session.Models++;
                session.PromptTokens += prompt;
                session.CompletionTokens += completion;
                session.Cost += cost;
                break;
            }

            case SpanKind.Tool:
            {
                var tool = Tools[random.Next(Tools.Length)];
                w.WriteString("event_name"u8, tool);
                Common(w, source, start, micros);
                if (random.Next(1000) < 30) error = ToolErrors[random.Next(ToolErrors.Length)];
                Error(w, error);
                w.WriteStartObject("inputs"u8);
                w.WriteString("query"u8, Quoted(random.Next(40, 160)));
                w.WriteString("top_k"u8, random.Next(3, 11).ToString(CultureInfo.InvariantCulture));
                w.WriteEndObject();
                w.WriteStartObject("outputs"u8);
                if (error is null) w.WriteString("result"u8, Quoted(random.Next(200, 700)));
                w.WriteEndObject();
                w.WriteStartObject("config"u8);
                w.WriteString("tool"u8, "\"" + tool + "\"");
                w.WriteEndObject();
                w.WriteStartObject("metadata"u8);
                w.WriteString("span_kind"u8, "\"tool\"");
                w.WriteString("retries"u8, random.Next(10) == 0 ? "1" : "0");
                w.WriteEndObject();
                w.WriteStartObject("metrics"u8);
                w.WriteEndObject();
                break;
            }

            default:
            {
                w.WriteString("event_name"u8, Chains[random.Next(Chains.Length)]);
                Common(w, source, start, micros);
                Error(w, null);
                w.WriteStartObject("inputs"u8);
                w.WriteString("input"u8, Quoted(random.Next(80, 300)));
                w.WriteEndObject();
                w.WriteStartObject("outputs"u8);
                w.WriteString("output"u8, Quoted(random.Next(100, 400)));
                w.WriteEndObject();
                w.WriteStartObject("config"u8);
                w.WriteEndObject();
                w.WriteStartObject("metadata"u8);
                w.WriteString("span_kind"u8, "\"chain\"");
                w.WriteEndObject();
                w.WriteStartObject("metrics"u8);
                w.WriteEndObject();
                break;
            }
        }

        w.WriteStartObject("feedback"u8);
        w.WriteEndObject();
        w.WriteStartObject("user_properties"u8);
        w.WriteEndObject();
        w.WriteNumber("version"u8, ClientVersion);
        w.WriteNumber("is_deleted"u8, 0);
        w.WriteEndObject();
        w.Flush();

        session.Spans++;
        if (error is not null)
        {
            session.Errors++;
            session.LastError = error;
        }
    }

    /// <summary>The client's session row, or the Writer's roll-up revision of it (HoneyHive's reserved session metadata).</summary>
    private void WriteSessionRow(Utf8JsonWriter w, Project project, string sessionId, string flow, string source,
        long start, long end, SessionTotals session, int seed, bool rollup)
    {
        var local = new Random(seed); // the same query, user and feedback in both revisions
        Head(w, project, sessionId, sessionId, "", "session", rollup ? topLevel : NoChildren);

        w.WriteString("event_name"u8, flow);
        Common(w, source, start, end - start);
        Error(w, rollup ? session.LastError : null);
        w.WriteStartObject("inputs"u8);
        scratch.Clear().Append('"');
        text.Append(scratch, local, local.Next(40, 200));
        w.WriteString("query"u8, scratch.Append('"').ToString());
        w.WriteEndObject();
        w.WriteStartObject("outputs"u8);
        if (rollup && session.FinalOutput is not null) w.WriteString("content"u8, session.FinalOutput);
        w.WriteEndObject();
        w.WriteStartObject("config"u8);
        w.WriteString("app_version"u8, "\"1." + local.Next(0, 9).ToString(CultureInfo.InvariantCulture) + ".0\"");
        w.WriteEndObject();
        w.WriteStartObject("metadata"u8);
        w.WriteString("environment"u8, "\"" + source + "\"");
        if (rollup)
        {
            w.WriteString("num_events"u8, session.Spans.ToString(CultureInfo.InvariantCulture));
            w.WriteString("num_model_events"u8, session.Models.ToString(CultureInfo.InvariantCulture));
            w.WriteString("has_feedback"u8, local.Next(20) == 0 ? "true" : "false");
            w.WriteString("prompt_tokens"u8, session.PromptTokens.ToString(CultureInfo.InvariantCulture));
            w.WriteString("completion_tokens"u8, session.CompletionTokens.ToString(CultureInfo.InvariantCulture));
            w.WriteString("total_tokens"u8, (session.PromptTokens + session.CompletionTokens).ToString(CultureInfo.InvariantCulture));
            w.WriteString("cost"u8, session.Cost.ToString("0.#######", CultureInfo.InvariantCulture));
        }

        w.WriteEndObject();
        w.WriteStartObject("metrics"u8);
        w.WriteEndObject();
        w.WriteStartObject("feedback"u8);
        if (local.Next(20) == 0)
        {
            w.WriteString("rating"u8, local.Next(1, 6).ToString(CultureInfo.InvariantCulture));
            w.WriteString("comment"u8, "\"" + text.Text(local, 60) + "\"");
        }

        w.WriteEndObject();
        w.WriteStartObject("user_properties"u8);
        w.WriteString("user_id"u8, "\"user_" + local.Next(1, 50_000).ToString(CultureInfo.InvariantCulture) + "\"");
        w.WriteString("plan"u8, local.Next(4) == 0 ? "\"enterprise\"" : "\"pro\"");
        w.WriteEndObject();
        w.WriteNumber("version"u8, rollup ? ClientVersion + 1 : ClientVersion);
        w.WriteNumber("is_deleted"u8, 0);
        w.WriteEndObject();
        w.Flush();
    }

    /// <summary>Ids and tenancy; children_ids only on the session's roll-up (top-level children), as the Writer sets them.</summary>
    private static void Head(Utf8JsonWriter w, Project project, string sessionId, string id, string parent, string type, List<string> children)
    {
        w.WriteStartObject();
        w.WriteString("event_id"u8, id);
        w.WriteString("project_id"u8, project.Id);
        w.WriteString("org_id"u8, project.Org);
        w.WriteString("workspace_id"u8, project.Workspace);
        w.WriteString("session_id"u8, sessionId);
        w.WriteString("parent_id"u8, parent);
        w.WriteStartArray("children_ids"u8);
        foreach (var child in children) w.WriteStringValue(child);
        w.WriteEndArray();
        w.WriteString("event_type"u8, type);
    }

    private void Common(Utf8JsonWriter w, string source, long startMicros, long durationMicros)
    {
        w.WriteString("source"u8, source);
        WriteTime(w, "start_time"u8, startMicros);
        WriteTime(w, "end_time"u8, startMicros + durationMicros);
        w.WriteNumber("duration"u8, durationMicros / 1000.0);
    }

    private static void Error(Utf8JsonWriter w, string? error)
    {
        if (error is null) w.WriteNull("error"u8);
        else w.WriteString("error"u8, error);
    }

    /// <summary>DateTime64(6) text in UTC, as the Writer writes it.</summary>
    private void WriteTime(Utf8JsonWriter w, ReadOnlySpan<byte> name, long micros)
    {
        var time = DateTime.UnixEpoch.AddTicks(micros * 10);
        time.TryFormat(timeChars, out var written, "yyyy-MM-dd HH:mm:ss.ffffff", CultureInfo.InvariantCulture);
        w.WriteString(name, timeChars.AsSpan(0, written));
    }

    /// <summary>A JSON string's text ("...") of about <paramref name="chars"/> characters of prose.</summary>
    private string Quoted(int chars)
    {
        scratch.Clear().Append('"');
        text.Append(scratch, random, chars);
        return scratch.Append('"').ToString();
    }

    /// <summary>Truncated Pareto: most sessions are short conversations, a few are long agent runs.</summary>
    private int SessionSize()
    {
        var u = 1 - random.NextDouble();
        return (int)Math.Min(MaxSpans, MinSpans * Math.Pow(u, -1 / ParetoAlpha));
    }

    private int Geometric(double p)
    {
        var n = 0;
        while (random.NextDouble() > p && n < 16) n++;
        return n;
    }

    private static SpanKind Pick(int percent) => percent switch
    {
        < 15 => SpanKind.Chain,
        < 62 => SpanKind.Model,
        _ => SpanKind.Tool,
    };

    private Project PickProject()
    {
        var roll = random.Next(100);
        foreach (var project in projects)
        {
            if (roll < project.Weight) return project;
            roll -= project.Weight;
        }

        return projects[0];
    }

    private (string Name, string Provider, double InPerMillion, double OutPerMillion, int Weight) PickModel()
    {
        var roll = random.Next(100);
        foreach (var model in Models)
        {
            if (roll < model.Weight) return model;
            roll -= model.Weight;
        }

        return Models[0];
    }

    private string NewId()
    {
        Span<byte> bytes = stackalloc byte[16];
        random.NextBytes(bytes);
        bytes[7] = (byte)((bytes[7] & 0x0F) | 0x40); // version 4
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80); // RFC 4122 variant
        return new Guid(bytes).ToString();
    }

    private enum SpanKind
    {
        Chain,
        Model,
        Tool,
    }

    private sealed record Project(string Id, string Org, string Workspace, int Weight);

    private sealed class SessionTotals
    {
        public int Spans;
        public int Models;
        public int Errors;
        public long PromptTokens;
        public long CompletionTokens;
        public double Cost;
        public string? LastError;
        public string? FinalOutput;
    }
}
