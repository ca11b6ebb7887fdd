using System.Text.Json.Nodes;
using HoneyHive.LlmProxy.Calls;
using HoneyHive.LlmProxy.Routing;
using HoneyHive.LlmProxy.Tracing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace HoneyHive.DataPlane.Tests.LlmProxy;

/// <summary>
/// The trace writer as the dp-llm-proxy app composes it (<see cref="TracingExtensions.AddModelCallTracing"/> on a host
/// that has nothing else), against real nats-servers: it never loses a queued trace to an outage or a shutdown.
/// </summary>
public sealed class TraceWriterTests
{
    [Fact]
    public async Task Traces_queued_while_the_message_log_is_down_are_published_once_it_is_back()
    {
        await using var nats = await PrivateNatsServer.StartAsync();
        using var host = BuildHost(nats.Url);
        await host.StartAsync();
        var writer = host.Services.GetRequiredService<ModelCallTraceWriter>();
        var before = "writer-before-outage-" + Guid.NewGuid();
        writer.Trace(Call(before));
        await PublishedModelEvents.WithMarkerAsync(before, nats.Url);

        await nats.StopAsync();
        var markers = Enumerable.Range(0, 3).Select(i => $"writer-during-outage-{i}-{Guid.NewGuid()}").ToList();
        foreach (var marker in markers) writer.Trace(Call(marker));
        Assert.Equal(1, writer.Published); // nothing more is acknowledged while the log is down
        await nats.StartAgainAsync();

        foreach (var marker in markers) await PublishedModelEvents.WithMarkerAsync(marker, nats.Url);
        Assert.Equal(4, writer.Published);
        Assert.Equal(0, writer.Dropped);
        await host.StopAsync();
    }

    [Fact]
    public async Task Traces_still_queued_at_shutdown_are_published_before_the_writer_stops()
    {
        using var host = BuildHost(TestServers.NatsUrl);
        var writer = host.Services.GetRequiredService<ModelCallTraceWriter>();
        // Queued before the loop even runs: shutdown right after start must still publish every one of them.
        var markers = Enumerable.Range(0, 20).Select(i => $"writer-shutdown-{i}-{Guid.NewGuid()}").ToList();
        foreach (var marker in markers) writer.Trace(Call(marker));

        await host.StartAsync();
        await host.StopAsync();

        Assert.Equal(20, writer.Published);
        var published = await PublishedModelEvents.ReadAsync(TestServers.NatsUrl, e => markers.Any(m => PublishedModelEvents.HasMarker(e, m)));
        Assert.Equal(20, published.Count);
        writer.Trace(Call("writer-after-stop-" + Guid.NewGuid()));
        Assert.Equal(1, writer.Dropped); // a trace after shutdown is counted and logged, not lost silently
    }

    [Fact]
    public async Task A_durable_trace_is_in_the_message_log_when_the_call_returns_without_the_queue_loop_running()
    {
        // The host is never started: the queue loop does not run, so only TraceDurablyAsync itself can publish.
        using var host = BuildHost(TestServers.NatsUrl);
        var writer = host.Services.GetRequiredService<ModelCallTraceWriter>();
        var marker = "writer-durable-" + Guid.NewGuid();

        await writer.TraceDurablyAsync(Call(marker), CancellationToken.None);

        Assert.Equal(1, writer.Published);
        var published = await PublishedModelEvents.ReadAsync(TestServers.NatsUrl, e => PublishedModelEvents.HasMarker(e, marker));
        Assert.Single(published);
    }

    private static IHost BuildHost(string natsUrl)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { EnvironmentName = "Production" });
        builder.Logging.ClearProviders();
        builder.Configuration["ConnectionStrings:nats"] = natsUrl;
        builder.Configuration["LlmProxy:Tracing:MaxRetryDelay"] = "00:00:00.500";
        builder.AddModelCallTracing();
        return builder.Build();
    }

    private static ModelCall Call(string marker)
    {
        var request = new JsonObject
        {
            ["model"] = "openai/gpt-4o-mini",
            ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = marker }),
        };
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        return new ModelCall(new CallScope(Tenants.A.ProjectId, Tenants.A.WorkspaceId, Guid.Empty), ModelOperation.Chat, "openai/gpt-4o-mini", request, Streamed: false)
        {
            Target = new RouteTarget("openai", "gpt-4o-mini"),
            Response = FakeOpenAiUpstream.Completion("gpt-4o-mini", "ok"),
            Attempts = 1,
            StartedAt = now,
            EndedAt = now + 5,
        };
    }
}
