namespace HoneyHive.Contracts;

/// <summary>JetStream stream names, as the seed architecture names them.</summary>
public static class Streams
{
    /// <summary>Normalized events and scores for the Writer (<c>events.&gt;</c>).</summary>
    public const string Events = "events-stream";

    /// <summary>Alert notifications (<c>notifications.&gt;</c>).</summary>
    public const string Notifications = "notifications-stream";

    /// <summary>Evaluation tasks (<c>evaluation.&gt;</c>).</summary>
    public const string Evaluation = "evaluation-stream";

    /// <summary>
    /// Chat messages from OTLP log records (GenAI events) for their spans' events (<c>genai.&gt;</c>). Apart from
    /// <see cref="Events"/> because such a message may wait minutes for its span: held on the events stream, it
    /// would hold the Writer's ack floor, and so its measured lag and ingestion's back-pressure, for every event.
    /// </summary>
    public const string GenAi = "genai-stream";

    /// <summary>Messages that exhausted their deliveries (<c>deadletter.&gt;</c>); kept apart so they never loop back.</summary>
    public const string DeadLetters = "deadletter-stream";

    /// <summary>Every stream with the subjects it captures.</summary>
    public static readonly IReadOnlyDictionary<string, string> Subjects = new Dictionary<string, string>
    {
        [Events] = "events.>",
        [Notifications] = "notifications.>",
        [Evaluation] = "evaluation.>",
        [GenAi] = "genai.>",
        [DeadLetters] = "deadletter.>",
    };
}

/// <summary>Topics (JetStream subjects / Dapr topics). Lowercase dotted facts.</summary>
public static class Topics
{
    /// <summary>Normalized events accepted by ingestion.</summary>
    public const string EventsIngested = "events.ingested";

    /// <summary>Client updates of stored events (PUT /events, PUT /v1/events/{id}).</summary>
    public const string EventsUpdated = "events.updated";

    /// <summary>Chat messages of GenAI log records, as updates of their spans' events (the Writer merges them).</summary>
    public const string GenAiMessages = "genai.messages";

    /// <summary>Evaluator scores to persist on their events.</summary>
    public const string EventsScored = "events.scored";

    /// <summary>Alert notifications to deliver.</summary>
    public const string NotificationsAlert = "notifications.alert";

    /// <summary>Account mail to deliver (password resets, invitations); the notification service sends it.</summary>
    public const string NotificationsEmail = "notifications.email";

    /// <summary>Evaluation tasks to run.</summary>
    public const string EvaluationRequested = "evaluation.requested";

    /// <summary>Prefix of the dead-letter subject of a topic: <c>deadletter.&lt;topic&gt;</c>.</summary>
    public const string DeadLetterPrefix = "deadletter.";

    /// <summary>The stream that captures a topic.</summary>
    public static string StreamOf(string topic) =>
        topic.StartsWith("events.", StringComparison.Ordinal) ? Streams.Events
        : topic.StartsWith("notifications.", StringComparison.Ordinal) ? Streams.Notifications
        : topic.StartsWith("evaluation.", StringComparison.Ordinal) ? Streams.Evaluation
        : topic.StartsWith("genai.", StringComparison.Ordinal) ? Streams.GenAi
        : topic.StartsWith(DeadLetterPrefix, StringComparison.Ordinal) ? Streams.DeadLetters
        : throw new ArgumentException($"No stream captures topic '{topic}'.", nameof(topic));
}

/// <summary>Dapr component names (components/*.yaml).</summary>
public static class Components
{
    /// <summary>pubsub.jetstream</summary>
    public const string PubSub = "pubsub";

    /// <summary>state.redis, also the workflow actor store.</summary>
    public const string StateStore = "statestore";

    /// <summary>
    /// state.redis over the same keys as <see cref="StateStore"/>, for writes that carry an ETag: its
    /// resiliency target has no circuit breaker, so an expected ETag mismatch never trips one.
    /// </summary>
    public const string StateStoreConditional = "statestore-etag";

    /// <summary>Secret store for keys and credentials.</summary>
    public const string SecretStore = "secretstore";
}

/// <summary>Dapr app ids, one per service.</summary>
public static class AppIds
{
    /// <summary>Control-plane API.</summary>
    public const string ControlPlaneApi = "cp-api";
    /// <summary>Control-plane controller.</summary>
    public const string ControlPlaneController = "cp-controller";
    /// <summary>Ingestion (OTLP and event API).</summary>
    public const string Ingestion = "dp-ingestion";
    /// <summary>Writer (events to ClickHouse).</summary>
    public const string Writer = "cp-writer";
    /// <summary>Data-plane API.</summary>
    public const string DataPlaneApi = "dp-api";
    /// <summary>Data-plane controller.</summary>
    public const string DataPlaneController = "dp-controller";
    /// <summary>Evaluation service.</summary>
    public const string Evaluation = "dp-evaluation";
    /// <summary>Python metric sandbox.</summary>
    public const string PythonMetric = "dp-python-metric";
    /// <summary>LLM proxy.</summary>
    public const string LlmProxy = "dp-llm-proxy";
    /// <summary>Notification delivery.</summary>
    public const string Notification = "cp-notification";

    /// <summary>Every app id.</summary>
    public static readonly IReadOnlyList<string> All =
    [
        ControlPlaneApi, ControlPlaneController, Ingestion, Writer, DataPlaneApi,
        DataPlaneController, Evaluation, PythonMetric, LlmProxy, Notification,
    ];
}
