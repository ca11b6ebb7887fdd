using HoneyHive.Platform.Analytics;

namespace HoneyHive.DataPlane.Tests.Datasets;

/// <summary>
/// Events the batch route curates from, written as the Writer does (SeedData's rows) under the
/// dataset tests' projects: a model event with a stale first revision, a tool event, a
/// tombstoned event, and project B's event that project A must not reach.
/// </summary>
public static class DatasetEvents
{
    public const string Session = "d5000000-0000-4000-8000-000000000001";
    public const string Model = "d5000000-0000-4000-8000-0000000000a1";
    public const string Tool = "d5000000-0000-4000-8000-0000000000b1";
    public const string Deleted = "d5000000-0000-4000-8000-0000000000c1";
    public const string SessionB = "d5000000-0000-4000-8000-000000000002";
    public const string EventB = "d5000000-0000-4000-8000-0000000000e1";

    /// <summary>Seconds after SeedData.Base at which these events start: a day later than the query tests' events.</summary>
    public const double Start = 86_400;

    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static bool inserted;

    /// <summary>Inserts once per process (the store is shared by every dataset test class).</summary>
    public static async Task InsertAsync(IAnalyticsStore store)
    {
        await Gate.WaitAsync();
        try
        {
            if (inserted) return;
            var a = Tenants.DatasetsA.ProjectId.ToString();
            var b = Tenants.DatasetsB.ProjectId.ToString();
            var history = new object[] { new { role = "user", content = "hi" }, new { role = "assistant", content = "hello" } };
            var rows = new List<Dictionary<string, object?>>
            {
                SeedData.Row(a, Session, Session, "", "session", "dataset-session", Start, 5000),
                SeedData.Row(a, Session, Model, Session, "model", "answer", Start + 1, 100,
                    inputs: new { question = "stale question" }, version: SeedData.V1),
                SeedData.Row(a, Session, Model, Session, "model", "answer", Start + 1, 100,
                    inputs: new { question = "What is 2+2?", chat_history = history }, outputs: new { answer = "4" },
                    metadata: new { topic = "math" }, feedback: new { ground_truth = new { answer = "4" } }, version: SeedData.V2),
                SeedData.Row(a, Session, Tool, Session, "tool", "lookup", Start + 2, 10,
                    inputs: new { query = "capital of France" }, outputs: new { answer = "Paris" }, metadata: new { topic = "geo" }),
                SeedData.Row(a, Session, Deleted, Session, "tool", "gone", Start + 3, 10, inputs: new { query = "gone" }),
                SeedData.Row(a, Session, Deleted, Session, "tool", "gone", Start + 3, 10, version: SeedData.V2, deleted: 1),
                SeedData.Row(b, SessionB, EventB, SessionB, "model", "secret", Start + 1, 10, inputs: new { question = "project B only" }),
            };
            await store.InsertJsonEachRowAsync("events", SeedData.Encode(rows), CancellationToken.None);
            inserted = true;
        }
        finally
        {
            Gate.Release();
        }
    }
}
