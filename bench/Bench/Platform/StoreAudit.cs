using System.Net.Http.Json;
using System.Text.Json.Serialization;
using HoneyHive.Bench.Load;

namespace HoneyHive.Bench.Platform;

/// <summary>What the store itself holds for one run (<c>GET /internal/faults/store-audit</c>), against the ledger.</summary>
/// <param name="Rows">Rows of the run's sessions in <c>events</c>, read without FINAL.</param>
/// <param name="Revisions">Distinct (event_id, version) among them.</param>
/// <param name="ViewExcess">Over the whole store: rows the <c>project_event_details</c> view counted for span
/// events beyond their distinct revisions in <c>events</c> (inserts beyond one per revision, merged or not).</param>
/// <param name="SessionsOverLedger">Sessions whose prompt tokens in <c>session_aggregates</c> exceed what the ledger
/// sent for them: a model span added up twice.</param>
/// <param name="SessionsChecked">Acknowledged sessions found in the view.</param>
public sealed record StoreAuditResult(long Rows, long Revisions, long ViewExcess, long SessionsOverLedger, long SessionsChecked)
{
    /// <summary>Rows stored twice and visible as such (not merged yet).</summary>
    public long DuplicateRows => Rows - Revisions;

    /// <summary>
    /// Rows inserted more than once as far as either check sees: the copies still in the table, or the
    /// view's extra count (which merges never remove). A copy not merged yet shows in both, hence the max.
    /// </summary>
    public long Duplicates(long viewExcessBefore) => Math.Max(DuplicateRows, ViewExcess - viewExcessBefore);
}

/// <summary>
/// Reads the audit route the Host maps when <c>Faults:Enabled</c> is on (the Host owns its chDB folder while
/// it runs, and chDB allows one data folder per process, so the bench cannot open it beside the Host).
/// </summary>
public static class StoreAudit
{
    public static async Task<StoreAuditResult> RunAsync(HttpClient api, SpanLedger ledger, CancellationToken ct)
    {
        var answer = await api.GetFromJsonAsync<Answer>(new Uri($"/internal/faults/store-audit?run={Uri.EscapeDataString(ledger.RunId)}", UriKind.Relative), ct)
            ?? throw new InvalidOperationException("The store audit answered nothing.");
        var sent = ledger.SessionPromptTokens();
        long over = 0, checkedSessions = 0;
        foreach (var (session, tokens) in answer.SessionPromptTokens)
        {
            // Sessions the ledger never saw acked (a request given up after its ack was lost) have no expectation.
            if (!sent.TryGetValue(session, out var expected)) continue;
            checkedSessions++;
            if (tokens > expected + 0.5) over++;
        }
        return new StoreAuditResult(answer.Rows, answer.Revisions, answer.ViewRows - answer.DistinctSpans, over, checkedSessions);
    }

    /// <summary>The view's excess over the whole store now (a baseline to subtract before a run).</summary>
    public static async Task<long> ViewExcessAsync(HttpClient api, CancellationToken ct)
    {
        var answer = await api.GetFromJsonAsync<Answer>(new Uri("/internal/faults/store-audit?run=-", UriKind.Relative), ct)
            ?? throw new InvalidOperationException("The store audit answered nothing.");
        return answer.ViewRows - answer.DistinctSpans;
    }

    private sealed record Answer(
        [property: JsonPropertyName("rows")] long Rows,
        [property: JsonPropertyName("revisions")] long Revisions,
        [property: JsonPropertyName("view_rows")] long ViewRows,
        [property: JsonPropertyName("distinct_spans")] long DistinctSpans,
        [property: JsonPropertyName("session_prompt_tokens")] Dictionary<string, double> SessionPromptTokens);
}
