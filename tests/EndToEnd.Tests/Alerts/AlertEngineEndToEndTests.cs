using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Npgsql;

namespace HoneyHive.EndToEnd.Tests.Alerts;

/// <summary>
/// The alert engine in the single-node Host, over the real path: an event through the ingestion API, the per-event
/// consumer, the stage change recorded in dpdb, published on notifications.alert, reported over the controllers' stream
/// and stored by the CP as a trigger. The alert is written as the CP stores it and as the sync applies it (with the
/// sync's notice), so this holds whichever side of the definitions' sync is being changed.
/// </summary>
public sealed class AlertEngineEndToEndTests(HostProcess host, Xunit.Abstractions.ITestOutputHelper output) : IClassFixture<HostProcess>
{
    [Fact]
    public async Task A_crossing_event_is_recorded_published_and_reported_to_the_control_plane_as_a_trigger()
    {
        var alert = Guid.NewGuid();
        var project = Guid.Parse(host.ProjectId);
        var thresholds = """{"critical":{"operator":"greater_than","value":1},"resolved":{"operator":"less_than","value":0.5}}""";
        await using (var cpdb = new NpgsqlConnection(host.CpdbConnectionString))
        {
            await cpdb.OpenAsync();
            await using var insert = new NpgsqlCommand("""
                INSERT INTO alerts (id, project_id, name, frequency, alert_type, aggregation, event_filters, event_metrics, thresholds, notification_details)
                VALUES ($1, $2, 'cost per call', 'HOURLY', 'PER_EVENT', 'MAX',
                        '[{"field":"event_type","operator":"is","value":"model","type":"string"}]',
                        '[{"projection":"metadata.cost","type":"float"}]', $3::jsonb, '{}')
                """, cpdb);
            insert.Parameters.Add(new NpgsqlParameter { Value = alert });
            insert.Parameters.Add(new NpgsqlParameter { Value = project });
            insert.Parameters.Add(new NpgsqlParameter { Value = thresholds });
            await insert.ExecuteNonQueryAsync();
        }
        var definition = new JsonObject
        {
            ["id"] = alert.ToString(), ["project_id"] = project.ToString(), ["name"] = "cost per call", ["alert_type"] = "PER_EVENT",
            ["frequency"] = "HOURLY", ["aggregation"] = "MAX", ["minimum_sample_size"] = 0,
            ["event_filters"] = new JsonArray(new JsonObject { ["field"] = "event_type", ["operator"] = "is", ["value"] = "model", ["type"] = "string" }),
            ["metric"] = "metadata.cost", ["thresholds"] = JsonNode.Parse(thresholds), ["status"] = "ACTIVE", ["muted_until"] = null,
            ["recovery_seconds"] = 0, ["updated_at"] = DateTimeOffset.UtcNow.ToString("O"),
        };
        await using (var dpdb = new NpgsqlConnection(host.DpdbConnectionString))
        {
            await dpdb.OpenAsync();
            await using var upsert = new NpgsqlCommand(
                "INSERT INTO alerts (id, project_id, definition) VALUES ($1, $2, $3::jsonb) ON CONFLICT (id) DO NOTHING", dpdb);
            upsert.Parameters.Add(new NpgsqlParameter { Value = alert });
            upsert.Parameters.Add(new NpgsqlParameter { Value = project });
            upsert.Parameters.Add(new NpgsqlParameter { Value = definition.ToJsonString() });
            await upsert.ExecuteNonQueryAsync();
            await using var notify = new NpgsqlCommand("SELECT pg_notify('alerts_changed', $1)", dpdb);
            notify.Parameters.Add(new NpgsqlParameter { Value = project.ToString() });
            await notify.ExecuteNonQueryAsync();
        }

        using var client = host.Client(host.DataPlaneApi, host.ApiKey);
        var sent = DateTime.UtcNow;
        using var cheap = await client.PostAsync(new Uri("/v1/events", UriKind.Relative), Event(0.2));
        using var costly = await client.PostAsync(new Uri("/v1/events", UriKind.Relative), Event(5));
        Assert.Equal(HttpStatusCode.OK, cheap.StatusCode);
        Assert.Equal(HttpStatusCode.OK, costly.StatusCode);
        var eventId = JsonNode.Parse(await costly.Content.ReadAsStringAsync())!["event_id"]!.GetValue<string>();

        // Published and reported: the DP's row carries both stamps once the CP acknowledged the report.
        var transition = await Eventually.ValueAsync(async () =>
        {
            await using var dpdb = new NpgsqlConnection(host.DpdbConnectionString);
            await dpdb.OpenAsync();
            await using var read = new NpgsqlCommand(
                "SELECT id, to_stage, result->>'event_id', published_at IS NOT NULL, reported_at IS NOT NULL, occurred_at, published_at FROM alert_transitions WHERE alert_id = $1", dpdb);
            read.Parameters.Add(new NpgsqlParameter { Value = alert });
            await using var reader = await read.ExecuteReaderAsync();
            var rows = new List<(Guid Id, string To, string EventId, bool Published, bool Reported, DateTime OccurredAt, DateTime? PublishedAt)>();
            while (await reader.ReadAsync())
                rows.Add((reader.GetGuid(0), reader.GetString(1), reader.GetString(2), reader.GetBoolean(3), reader.GetBoolean(4), reader.GetDateTime(5), reader.IsDBNull(6) ? null : reader.GetDateTime(6)));
            return rows;
        }, rows => rows.Count == 1 && rows[0].Published && rows[0].Reported, "the transition to be published and reported");
        Assert.Equal(("CRITICAL", eventId), (transition[0].To, transition[0].EventId));
        // A figure to read, not a limit (the bench measures latencies): from the request to the recorded and published change.
        output.WriteLine($"detected after {(transition[0].OccurredAt - sent).TotalMilliseconds:F0} ms, published after {(transition[0].PublishedAt!.Value - sent).TotalMilliseconds:F0} ms");

        await using (var cpdb = new NpgsqlConnection(host.CpdbConnectionString))
        {
            await cpdb.OpenAsync();
            await using var read = new NpgsqlCommand("""
                SELECT t.id, t.stage, a.status, a.stage, a.last_trigger_id
                FROM alert_triggers t JOIN alerts a ON a.id = t.alert_id WHERE t.alert_id = $1
                """, cpdb);
            read.Parameters.Add(new NpgsqlParameter { Value = alert });
            await using var reader = await read.ExecuteReaderAsync();
            Assert.True(await reader.ReadAsync(), "the CP holds the trigger");
            Assert.Equal(transition[0].Id, reader.GetGuid(0));
            Assert.Equal(("CRITICAL", "TRIGGERED", "CRITICAL"), (reader.GetString(1), reader.GetString(2), reader.GetString(3)));
            Assert.Equal(transition[0].Id, reader.GetGuid(4));
            Assert.False(await reader.ReadAsync(), "one trigger for one transition");
        }

        using var history = await client.GetAsync(new Uri($"/v1/alerts/{alert}/transitions", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, history.StatusCode);
        var body = JsonNode.Parse(await history.Content.ReadAsStringAsync())!;
        Assert.Equal("CRITICAL", body["stage"]!.GetValue<string>());
        Assert.Equal(transition[0].Id.ToString(), Assert.Single(body["transitions"]!.AsArray())!["id"]!.GetValue<string>());
    }

    private static StringContent Event(double cost) => new(
        new JsonObject { ["event_type"] = "model", ["event_name"] = "call", ["inputs"] = new JsonObject(), ["metadata"] = new JsonObject { ["cost"] = cost } }.ToJsonString(),
        Encoding.UTF8, "application/json");
}
