using System.Text.Json;
using HoneyHive.Contracts;
using NATS.Client.Core;
using NATS.Client.JetStream;

namespace HoneyHive.Bench.Platform;

/// <summary>The durability settings in force, as the servers report them.</summary>
/// <param name="NatsSync">JetStream's fsync policy (sync_interval from /varz, or the config file).</param>
/// <param name="DedupWindow">events-stream's duplicate window from its stream info.</param>
public sealed record Durability(string NatsSync, TimeSpan DedupWindow)
{
    public override string ToString() => $"nats sync={NatsSync}, dedup window={DedupWindow.TotalSeconds:0} s";
}

/// <summary>
/// What the message log says about the pipeline: the Writer's backlog on events-stream, the NATS-level
/// dead letters, and the durability settings. A fresh connection per call: NATS may be restarting.
/// </summary>
public sealed class PipelineState(string natsUrl, string? monitorUrl, string writerConsumer = AppIds.Writer)
{
    public async Task<long?> WriterBacklogAsync(CancellationToken ct)
    {
        try
        {
            await using var connection = await ConnectAsync(ct);
            var js = new NatsJSContext(connection);
            var info = (await js.GetConsumerAsync(Streams.Events, writerConsumer, ct)).Info;
            return (long)info.NumPending + info.NumAckPending;
        }
        catch (Exception ex) when (ex is NatsException or NatsJSException or TimeoutException)
        {
            return null;
        }
    }

    /// <summary>Waits until the Writer's backlog is empty (read twice in a row) or the limit passes.</summary>
    public async Task<bool> WaitForEmptyBacklogAsync(TimeSpan limit, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + limit;
        var zeros = 0;
        while (DateTime.UtcNow < deadline)
        {
            zeros = await WriterBacklogAsync(ct) == 0 ? zeros + 1 : 0;
            if (zeros >= 2) return true;
            await Task.Delay(500, ct);
        }
        return false;
    }

    /// <summary>Messages on the NATS dead-letter stream (subscriptions that gave up on a message).</summary>
    public async Task<long> NatsDeadLettersAsync(CancellationToken ct)
    {
        try
        {
            await using var connection = await ConnectAsync(ct);
            var js = new NatsJSContext(connection);
            return (long)(await js.GetStreamAsync(Streams.DeadLetters, cancellationToken: ct)).Info.State.Messages;
        }
        catch (NatsJSApiException ex) when (ex.Error.Code == 404)
        {
            return 0;
        }
    }

    public async Task<Durability> DurabilityAsync(CancellationToken ct)
    {
        await using var connection = await ConnectAsync(ct);
        var js = new NatsJSContext(connection);
        var stream = await js.GetStreamAsync(Streams.Events, cancellationToken: ct);
        return new Durability(await SyncIntervalAsync(ct), stream.Info.Config.DuplicateWindow);
    }

    /// <summary>
    /// sync_interval as the running server reports it in /varz (nanoseconds), "always" for sync_always,
    /// or the server default (2 min) when it reports neither.
    /// </summary>
    private async Task<string> SyncIntervalAsync(CancellationToken ct)
    {
        if (monitorUrl is null) return "unknown (no monitoring URL)";
        try
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
            using var varz = JsonDocument.Parse(await http.GetStringAsync(new Uri(new Uri(monitorUrl), "/varz"), ct));
            if (!varz.RootElement.TryGetProperty("jetstream", out var jetstream) || !jetstream.TryGetProperty("config", out var config))
                return "unknown (no jetstream in /varz)";
            if (config.TryGetProperty("sync_always", out var always) && always.ValueKind == JsonValueKind.True) return "always";
            if (config.TryGetProperty("sync_interval", out var interval) && interval.TryGetInt64(out var nanos) && nanos > 0)
                return $"every {TimeSpan.FromTicks(nanos / 100).TotalSeconds:0.###} s";
            return "server default (every 2 min)";
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or JsonException)
        {
            return $"unknown ({ex.GetType().Name})";
        }
    }

    private async Task<NatsConnection> ConnectAsync(CancellationToken ct)
    {
        var connection = new NatsConnection(new NatsOpts { Url = natsUrl, Name = "hh-bench-probe", ConnectTimeout = TimeSpan.FromSeconds(3) });
        await connection.ConnectAsync();
        return connection;
    }
}
