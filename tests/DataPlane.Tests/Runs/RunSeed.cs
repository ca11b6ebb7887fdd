using System.Globalization;
using System.Text;
using System.Text.Json;
using HoneyHive.Platform.Analytics;

namespace HoneyHive.DataPlane.Tests.Runs;

/// <summary>
/// Two runs of one dataset in project <see cref="RunTenants.A"/>, as the Writer stores them: per
/// datapoint a session event (metadata run_id, dataset_id, datapoint_id) and an "llm-call" model
/// event carrying metrics <c>accuracy</c> (number), <c>passed</c> (boolean) and
/// <c>accuracy_explanation</c> (text, never aggregated).
/// <list type="bullet">
/// <item>Old run: dp1..dp4, accuracy 0.5, 0.7, 0.9, 0.4; passed true, true, false, false. Session 4 has no
/// run_id anywhere: the run declares it in event_ids.</item>
/// <item>New run: dp1..dp5, accuracy 0.8, 0.7, 0.6, 1.0, 0.2; passed true, false, true, true, false;
/// passing range accuracy ≥ 0.65. dp3's model event has a stale first revision (accuracy 0.95);
/// dp4's model event lacks datapoint_id (its session names it); a tombstoned tool event with
/// accuracy 100 must not count.</item>
/// <item>Project B: a session tagged with the new run's id and accuracy 1000 — never visible to project A.</item>
/// </list>
/// </summary>
public static class RunSeed
{
    public const string OldRun = "0e000000-0000-4000-8000-000000000001";
    public const string NewRun = "0e000000-0000-4000-8000-000000000002";
    public const string OtherProjectRun = "0e000000-0000-4000-8000-0000000000b0";
    public const string Dataset = "ds-runs";
    public const double AccuracyMin = 0.65;

    public static readonly double[] OldAccuracy = [0.5, 0.7, 0.9, 0.4];
    public static readonly bool[] OldPassed = [true, true, false, false];
    public static readonly double[] NewAccuracy = [0.8, 0.7, 0.6, 1.0, 0.2];
    public static readonly bool[] NewPassed = [true, false, true, true, false];
    public const double StaleAccuracy = 0.95;

    private const ulong V1 = 1UL << 32;
    private const ulong V2 = 2UL << 32;
    private static readonly DateTime Base = new(2026, 2, 1, 9, 0, 0, DateTimeKind.Utc);

    public static string Datapoint(int n) => "dp" + n.ToString(CultureInfo.InvariantCulture);

    /// <summary>The session id of datapoint <paramref name="n"/> (1-based) in a run.</summary>
    public static string Session(string run, int n) => run[..^4] + (run == OldRun ? "1" : "2") + n.ToString("D3", CultureInfo.InvariantCulture);

    public static string ModelEvent(string run, int n) => Session(run, n)[..^4] + (run == OldRun ? "a" : "b") + n.ToString("D3", CultureInfo.InvariantCulture);

    public static async Task InsertAsync(IAnalyticsStore store)
    {
        var a = RunTenants.A.ProjectId.ToString();
        var rows = new List<Dictionary<string, object?>>();
        for (var i = 0; i < OldAccuracy.Length; i++)
        {
            var n = i + 1;
            var tagged = n != 4;
            rows.AddRange(DatapointRun(a, OldRun, n, OldAccuracy[i], OldPassed[i], tagged, modelHasDatapoint: true, startSeconds: n * 10));
        }

        for (var i = 0; i < NewAccuracy.Length; i++)
        {
            var n = i + 1;
            rows.AddRange(DatapointRun(a, NewRun, n, NewAccuracy[i], NewPassed[i], tagged: true, modelHasDatapoint: n != 4, startSeconds: 1000 + n * 10));
        }

        // dp3's stale first revision of the model event: only the current one (above, V2) counts.
        var session3 = Session(NewRun, 3);
        rows.Add(Row(a, session3, ModelEvent(NewRun, 3), session3, "model", "llm-call", 1000 + 30.5,
            metadata: new { run_id = NewRun, datapoint_id = Datapoint(3) }, metrics: new { accuracy = StaleAccuracy, passed = false }, version: V1));
        // A deleted tool event of the new run with an outsized metric.
        var deleted = session3[..^4] + "d003";
        rows.Add(Row(a, session3, deleted, session3, "tool", "retrieve", 1000 + 31, metadata: new { run_id = NewRun, datapoint_id = Datapoint(3) },
            metrics: new { accuracy = 100 }));
        rows.Add(Row(a, session3, deleted, session3, "tool", "retrieve", 1000 + 31, metadata: new { run_id = NewRun, datapoint_id = Datapoint(3) },
            metrics: new { accuracy = 100 }, version: V2, deleted: 1));

        // Project B tags a session with project A's run id: a run read must never see it.
        var b = RunTenants.B.ProjectId.ToString();
        const string sessionB = "0e000000-0000-4000-8000-00000000bb01";
        rows.Add(Row(b, sessionB, sessionB, "", "session", "b-session", 5000, metadata: new { run_id = NewRun, datapoint_id = Datapoint(1) },
            metrics: new { accuracy = 1000 }));
        rows.Add(Row(b, sessionB, "0e000000-0000-4000-8000-00000000bb02", sessionB, "model", "llm-call", 5001,
            metadata: new { run_id = NewRun, datapoint_id = Datapoint(1) }, metrics: new { accuracy = 1000, passed = true }));
        await store.InsertJsonEachRowAsync("events", Encode(rows), CancellationToken.None);
    }

    private static IEnumerable<Dictionary<string, object?>> DatapointRun(
        string project, string run, int n, double accuracy, bool passed, bool tagged, bool modelHasDatapoint, double startSeconds)
    {
        var session = Session(run, n);
        var datapoint = Datapoint(n);
        object sessionMetadata = tagged ? new { run_id = run, dataset_id = Dataset, datapoint_id = datapoint } : new { dataset_id = Dataset, datapoint_id = datapoint };
        object modelMetadata = (tagged, modelHasDatapoint) switch
        {
            (false, _) => new { model = "gpt-4o" },
            (true, true) => new { run_id = run, dataset_id = Dataset, datapoint_id = datapoint, model = "gpt-4o" },
            (true, false) => new { run_id = run, model = "gpt-4o" },
        };
        yield return Row(project, session, session, "", "session", "eval-session", startSeconds,
            inputs: new { question = "q" + n.ToString(CultureInfo.InvariantCulture) }, metadata: sessionMetadata);
        yield return Row(project, session, ModelEvent(run, n), session, "model", "llm-call", startSeconds + 0.5,
            metadata: modelMetadata, metrics: new { accuracy, passed, accuracy_explanation = "because" }, version: V2);
    }

    private static Dictionary<string, object?> Row(
        string project, string session, string id, string parent, string type, string name, double startSeconds,
        object? inputs = null, object? metadata = null, object? metrics = null, ulong version = V1, int deleted = 0)
    {
        var start = Base.AddSeconds(startSeconds);
        return new Dictionary<string, object?>
        {
            ["event_id"] = id, ["project_id"] = project, ["org_id"] = RunTenants.A.OrgId.ToString(), ["workspace_id"] = RunTenants.A.WorkspaceId.ToString(),
            ["session_id"] = session, ["parent_id"] = parent, ["children_ids"] = Array.Empty<string>(), ["event_type"] = type, ["event_name"] = name,
            ["source"] = "evaluation", ["start_time"] = Time(start), ["end_time"] = Time(start.AddMilliseconds(100)), ["duration"] = 100.0,
            ["error"] = null, ["inputs"] = Bucket(inputs), ["outputs"] = Bucket(null), ["config"] = Bucket(null), ["metadata"] = Bucket(metadata),
            ["metrics"] = Bucket(metrics), ["feedback"] = Bucket(null), ["user_properties"] = Bucket(null),
            ["version"] = version, ["is_deleted"] = deleted,
        };
    }

    private static Dictionary<string, string> Bucket(object? value) =>
        value is null ? [] : JsonSerializer.SerializeToElement(value).EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetRawText());

    private static string Time(DateTime time) => time.ToString("yyyy-MM-dd HH:mm:ss.ffffff", CultureInfo.InvariantCulture);

    private static ReadOnlyMemory<byte> Encode(IEnumerable<Dictionary<string, object?>> rows)
    {
        var text = new StringBuilder();
        foreach (var row in rows) text.Append(JsonSerializer.Serialize(row)).Append('\n');
        return Encoding.UTF8.GetBytes(text.ToString());
    }
}
