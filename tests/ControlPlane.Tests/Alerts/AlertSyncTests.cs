using System.Text.Json;
using Dapper;
using Google.Protobuf;
using HoneyHive.ControlPlane.Api;
using HoneyHive.ControlPlane.Api.Bootstrap;
using HoneyHive.ControlPlane.Controller.Sync;
using HoneyHive.Contracts.Alerts;
using HoneyHive.Contracts.ControllerSync;
using HoneyHive.DataPlane.Api;
using HoneyHive.DataPlane.Api.Alerts;
using HoneyHive.DataPlane.Controller.Sync;
using HoneyHive.Platform.Postgres;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;

namespace HoneyHive.ControlPlane.Tests.Alerts;

/// <summary>
/// Alerts across the controllers' stream, against real databases: definitions applied to dpdb (and the engine's cache
/// told), the DP's report read and marked reported on the CP's ack, and the CP's sink writing triggers and the alert row.
/// </summary>
public sealed class AlertSyncTests : IAsyncLifetime
{
    private readonly TestDatabase cpdb = new();
    private readonly TestDatabase dpdb = new();
    private readonly Guid project = Guid.NewGuid();

    public async Task InitializeAsync()
    {
        await Task.WhenAll(cpdb.InitializeAsync(), dpdb.InitializeAsync());
        await PostgresMigrator.MigrateAsync(cpdb.DataSource, typeof(ControlPlaneApiModule).Assembly, NullLogger.Instance, CancellationToken.None);
        await PostgresMigrator.MigrateAsync(dpdb.DataSource, typeof(DataPlaneApiModule).Assembly, NullLogger.Instance, CancellationToken.None);
        await new SyncApplier(dpdb.DataSource).ApplyAsync(new SyncBatch
        {
            Projects = { new ProjectRecord { Id = project.ToString(), OrgId = Guid.NewGuid().ToString(), WorkspaceId = Guid.NewGuid().ToString(), Name = "p" } },
        }, CancellationToken.None);
    }

    public async Task DisposeAsync() => await Task.WhenAll(cpdb.DisposeAsync(), dpdb.DisposeAsync());

    private static AlertDefinition Definition(Guid project, string type = AlertNames.PerEvent, double critical = 80) =>
        new(Guid.NewGuid().ToString(), project.ToString(), "cost", type, "HOURLY", "AVERAGE", 0, [], "metadata.cost",
            new AlertThresholds(new AlertThreshold("greater_than", critical), new AlertThreshold("less_than", 10)),
            AlertNames.Active, null, 0, DateTimeOffset.UtcNow);

    private static AlertRecord Record(AlertDefinition alert, bool deleted = false) => new()
    {
        Id = alert.Id, ProjectId = alert.ProjectId, Deleted = deleted,
        DefinitionJson = ByteString.CopyFromUtf8(JsonSerializer.Serialize(alert)),
    };

    private async Task<List<(Guid Id, string Definition)>> DpAlertsAsync()
    {
        await using var connection = await dpdb.DataSource.OpenConnectionAsync();
        return (await connection.QueryAsync<(Guid, string)>("SELECT id, definition::text FROM alerts ORDER BY id")).ToList();
    }

    [Fact]
    public async Task Definitions_are_upserted_deleted_and_replaced_by_a_snapshot_and_an_edit_keeps_the_engines_state()
    {
        var applier = new SyncApplier(dpdb.DataSource);
        var kept = Definition(project);
        var dropped = Definition(project);
        var orphan = Definition(Guid.NewGuid());
        await applier.ApplyAsync(new SyncBatch { Alerts = { Record(kept), Record(dropped), Record(orphan) } }, CancellationToken.None);
        Assert.Equal(new[] { Guid.Parse(kept.Id), Guid.Parse(dropped.Id) }.Order(), (await DpAlertsAsync()).Select(a => a.Id));

        // The engine has judged it: its stage must survive an edit of the definition.
        await using (var connection = await dpdb.DataSource.OpenConnectionAsync())
            await connection.ExecuteAsync("INSERT INTO alert_states (alert_id, stage) VALUES (@id, 'CRITICAL')", new { id = Guid.Parse(kept.Id) });
        var edited = kept with { Name = "edited", Thresholds = kept.Thresholds with { Critical = new AlertThreshold("greater_than", 90) } };
        await applier.ApplyAsync(new SyncBatch { Alerts = { Record(edited), Record(dropped, deleted: true) } }, CancellationToken.None);

        var stored = Assert.Single(await DpAlertsAsync());
        Assert.Equal(90, JsonSerializer.Deserialize<AlertDefinition>(stored.Definition)!.Thresholds.Critical.Value);
        await using (var connection = await dpdb.DataSource.OpenConnectionAsync())
            Assert.Equal("CRITICAL", await connection.ExecuteScalarAsync<string>("SELECT stage FROM alert_states WHERE alert_id = @id", new { id = Guid.Parse(kept.Id) }));

        var fresh = Definition(project);
        await applier.ApplyAsync(new SyncBatch
        {
            FullSnapshot = true,
            Last = true,
            Projects = { new ProjectRecord { Id = project.ToString(), OrgId = Guid.NewGuid().ToString(), WorkspaceId = Guid.NewGuid().ToString(), Name = "p" } },
            Alerts = { Record(fresh) },
        }, CancellationToken.None);
        Assert.Equal(Guid.Parse(fresh.Id), Assert.Single(await DpAlertsAsync()).Id);
    }

    [Fact]
    public async Task The_engines_cache_of_per_event_alerts_follows_the_sync_at_once()
    {
        var options = new AlertOptions { DefinitionCacheTtl = TimeSpan.FromHours(1) };
        using var cache = new AlertDefinitionCache(dpdb.DataSource, options, TimeProvider.System, NullLogger<AlertDefinitionCache>.Instance);
        await cache.StartAsync(CancellationToken.None);
        var applier = new SyncApplier(dpdb.DataSource);
        // The listener is up once a first change reaches it; the hour-long TTL leaves the notice as the only way to refresh.
        var first = Definition(project);
        await applier.ApplyAsync(new SyncBatch { Alerts = { Record(first) } }, CancellationToken.None);
        await Eventually.ValueAsync(() => cache.ForProjectAsync(project, CancellationToken.None), a => a.Count == 1, "the first alert in the cache");

        var second = Definition(project);
        var scheduled = Definition(project, AlertNames.Aggregate);
        await applier.ApplyAsync(new SyncBatch { Alerts = { Record(second), Record(scheduled), Record(first, deleted: true) } }, CancellationToken.None);

        var cached = await Eventually.ValueAsync(() => cache.ForProjectAsync(project, CancellationToken.None),
            a => a.Count == 1 && a[0].Id == second.Id, "the cache to follow the sync");
        Assert.Equal(AlertNames.PerEvent, cached[0].AlertType);
        await cache.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task The_report_is_marked_reported_only_on_the_control_planes_ack_and_the_sink_writes_triggers_once()
    {
        // The CP side: a bootstrapped project with one alert row.
        var created = (await new Bootstrapper(cpdb.DataSource, NullLogger<Bootstrapper>.Instance)
            .RunAsync(BootstrapOptions.From(new ConfigurationBuilder().Build()), CancellationToken.None))!;
        var alert = Definition(created.ProjectId, AlertNames.Aggregate);
        var alertId = Guid.Parse(alert.Id);
        DateTime updatedAt;
        await using (var connection = await cpdb.DataSource.OpenConnectionAsync())
        {
            updatedAt = await connection.ExecuteScalarAsync<DateTime>("""
                INSERT INTO alerts (id, project_id, name, frequency, alert_type, aggregation, thresholds, notification_details, updated_at)
                VALUES (@alertId, @project, 'cost', 'HOURLY', 'AGGREGATE', 'AVERAGE', '{}', '{}', now() - interval '1 hour')
                RETURNING updated_at
                """, new { alertId, project = created.ProjectId });
        }

        // The DP side: the same alert synced, judged twice by the engine (critical, then resolved).
        await new SyncApplier(dpdb.DataSource).ApplyAsync(new SyncBatch
        {
            Projects = { new ProjectRecord { Id = created.ProjectId.ToString(), OrgId = created.OrgId.ToString(), WorkspaceId = created.WorkspaceId.ToString(), Name = "p" } },
            Alerts = { Record(alert) },
        }, CancellationToken.None);
        var recorder = new AlertRecorder(dpdb.DataSource, new AlertOutboxSignal(), TimeProvider.System);
        foreach (var value in new double[] { 100, 5 })
        {
            await recorder.EvaluateAsync(alertId, null, (a, _) => Task.FromResult<IReadOnlyList<AlertJudgement>>(
                [new AlertJudgement(new AlertResult(value, null, null, 3, null, null, a.Thresholds, a.Aggregation), value)]), CancellationToken.None);
        }

        var reporter = new AlertReporter(dpdb.DataSource);
        var cursor = new AlertReporter.Cursor();
        var report = await reporter.NextAsync(cursor, DateTimeOffset.UtcNow, CancellationToken.None);
        Assert.NotNull(report);
        Assert.Equal(["CRITICAL", "OK"], report.Transitions.Select(t => t.ToStage));
        Assert.Equal("OK", Assert.Single(report.Runs).Stage);
        // In flight and not acknowledged: nothing new is sent, and nothing is marked.
        Assert.Null(await reporter.NextAsync(cursor, DateTimeOffset.UtcNow, CancellationToken.None));
        await using (var connection = await dpdb.DataSource.OpenConnectionAsync())
            Assert.Equal(2, await connection.ExecuteScalarAsync<int>("SELECT count(*) FROM alert_transitions WHERE reported_at IS NULL"));
        // Unacknowledged for long enough: sent again, with the same rows.
        var resent = await reporter.NextAsync(cursor, DateTimeOffset.UtcNow + AlertReporter.ResendAfter, CancellationToken.None);
        Assert.Equal(report.Transitions.Select(t => t.Id), resent!.Transitions.Select(t => t.Id));

        var sink = new AlertReportSink(cpdb.DataSource, NullLogger<AlertReportSink>.Instance);
        await sink.RecordAsync("dp", report, CancellationToken.None);
        await sink.RecordAsync("dp", resent, CancellationToken.None);
        // A transition claiming another project's alert is not recorded.
        var forged = new AlertReport { Transitions = { new AlertTransitionRecord(report.Transitions[0]) { Id = Guid.NewGuid().ToString(), ProjectId = Guid.NewGuid().ToString() } } };
        await sink.RecordAsync("dp", forged, CancellationToken.None);
        await reporter.AcknowledgeAsync(cursor, report.ReportId, CancellationToken.None);   // a stale ack changes nothing
        await reporter.AcknowledgeAsync(cursor, resent.ReportId, CancellationToken.None);

        await using (var connection = await dpdb.DataSource.OpenConnectionAsync())
        {
            Assert.Equal(0, await connection.ExecuteScalarAsync<int>("SELECT count(*) FROM alert_transitions WHERE reported_at IS NULL"));
            Assert.True(await connection.ExecuteScalarAsync<bool>("SELECT run_reported FROM alert_states WHERE alert_id = @alertId", new { alertId }));
        }
        Assert.Null(await reporter.NextAsync(new AlertReporter.Cursor(), DateTimeOffset.UtcNow, CancellationToken.None));

        await using (var connection = await cpdb.DataSource.OpenConnectionAsync())
        {
            var triggers = (await connection.QueryAsync<(Guid Id, string Stage, DateTime? ResolvedTime)>(
                "SELECT id, stage, resolved_time FROM alert_triggers WHERE alert_id = @alertId ORDER BY triggered_time, stage", new { alertId })).ToList();
            Assert.Equal(["CRITICAL", "RESOLUTION"], triggers.Select(t => t.Stage).Order(StringComparer.Ordinal));
            Assert.NotNull(triggers.Single(t => t.Stage == "CRITICAL").ResolvedTime);
            var row = await connection.QuerySingleAsync<(string Status, string Stage, Guid? LastTriggerId, DateTime? LastRunAt, string? LastResult, DateTime UpdatedAt)>(
                "SELECT status, stage, last_trigger_id, last_run_at, last_result::text, updated_at FROM alerts WHERE id = @alertId", new { alertId });
            Assert.Equal(("RESOLVED", "OK"), (row.Status, row.Stage));
            Assert.Equal(triggers.Single(t => t.Stage == "RESOLUTION").Id, row.LastTriggerId);
            Assert.NotNull(row.LastRunAt);
            Assert.Equal(5, JsonDocument.Parse(row.LastResult!).RootElement.GetProperty("current_bucket_score").GetDouble());
            Assert.Equal(updatedAt, row.UpdatedAt);
        }
    }
}
