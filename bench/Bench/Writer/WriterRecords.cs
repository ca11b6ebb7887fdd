using System.Text.Json;
using System.Text.Json.Nodes;
using HoneyHive.Contracts;
using HoneyHive.Platform.Messaging;
using HoneyHive.Contracts.Events;

namespace HoneyHive.Bench.Writer;

/// <summary>
/// Events shaped like ingestion's output for an instrumented LLM app (~1 KB each): per session a chain
/// root and model calls under it with chat messages, model config and token counts. Half the sessions
/// ask for auto-creation (honeyhive.session_auto_create), so the Writer also builds their session rows.
/// </summary>
public static class WriterRecords
{
    private const int EventsPerMessage = 100;

    /// <summary>The sessions as ingestion publishes them: CloudEvents of up to 100 events each.</summary>
    public static List<IncomingMessage> Messages(string projectId, int sessions, int spansPerSession, int seed) =>
        Sessions(projectId, sessions, spansPerSession, seed)
            .Chunk(EventsPerMessage)
            .Select((events, i) =>
            {
                var cloudEvent = new CloudEvent<EventBatch>(Guid.NewGuid().ToString(), "bench", Topics.EventsIngested, new EventBatch(projectId, events))
                {
                    Time = DateTimeOffset.UtcNow,
                };
                return new IncomingMessage(Topics.EventsIngested, cloudEvent.Id, JsonSerializer.SerializeToUtf8Bytes(cloudEvent), 1);
            })
            .ToList();

    public static List<EventRecord> Sessions(string projectId, int sessions, int spansPerSession, int seed)
    {
        var random = new Random(seed);
        var events = new List<EventRecord>(sessions * spansPerSession);
        var start = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - 60_000d;
        for (var s = 0; s < sessions; s++)
        {
            var sessionId = Guid.NewGuid().ToString();
            var rootId = Guid.NewGuid().ToString();
            var autoCreate = s % 2 == 0;
            for (var i = 0; i < spansPerSession; i++)
            {
                var isRoot = i == 0;
                var prompt = random.Next(200, 4000);
                var completion = random.Next(20, 800);
                var began = start + i * 3;
                events.Add(new EventRecord
                {
                    EventId = isRoot ? rootId : Guid.NewGuid().ToString(),
                    ProjectId = projectId,
                    SessionId = sessionId,
                    ParentId = isRoot ? sessionId : rootId,
                    EventType = isRoot ? "chain" : "model",
                    EventName = isRoot ? "answer_question" : "chat gpt-4o-mini",
                    Source = "otlp",
                    StartTime = began,
                    EndTime = began + random.Next(200, 9000),
                    SessionAutoCreate = autoCreate,
                    Inputs = new JsonObject
                    {
                        ["chat_history"] = new JsonArray(
                            new JsonObject { ["role"] = "system", ["content"] = "You are a concise, helpful assistant for the customer success team. Cite sources." },
                            new JsonObject { ["role"] = "user", ["content"] = "Given the retrieved policy documents, can an employee carry over unused vacation days into the next year?" }),
                    },
                    Outputs = new JsonObject
                    {
                        ["role"] = "assistant",
                        ["content"] = "Yes. Up to five unused days may be carried over, provided they are used before the end of March; the rest expire.",
                        ["finish_reason"] = "stop",
                    },
                    Config = new JsonObject { ["model"] = "gpt-4o-mini", ["provider"] = "openai", ["temperature"] = 0.2, ["max_tokens"] = 1024 },
                    Metadata = new JsonObject
                    {
                        ["prompt_tokens"] = prompt,
                        ["completion_tokens"] = completion,
                        ["response_id"] = "chatcmpl-" + Guid.NewGuid().ToString("N")[..24],
                        ["service.name"] = "support-assistant",
                        ["telemetry.sdk.language"] = "python",
                    },
                });
            }
        }

        return events;
    }
}
