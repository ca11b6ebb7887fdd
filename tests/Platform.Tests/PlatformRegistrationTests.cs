using HoneyHive.Platform.Analytics;
using HoneyHive.Platform.Messaging;
using HoneyHive.Platform.Objects;
using HoneyHive.Platform.State;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace HoneyHive.Platform.Tests;

/// <summary>
/// The single-node Host composes every module, and several ask for the same platform part: each part
/// must register once (one store, one health check per name; a duplicate name fails /health).
/// </summary>
public sealed class PlatformRegistrationTests
{
    [Fact]
    public void Platform_parts_asked_for_twice_register_one_store_and_one_health_check_each()
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:nats"] = "nats://127.0.0.1:1",
            ["ConnectionStrings:redis"] = "127.0.0.1:1",
        });
        for (var module = 0; module < 2; module++)
        {
            builder.AddMessaging();
            builder.AddStateStore();
            builder.AddAnalyticsStore();
            builder.AddObjectStore();
        }

        foreach (var part in new[] { typeof(IEventPublisher), typeof(IStateStore), typeof(IAnalyticsStore), typeof(IObjectStore) })
            // The object store's backend is a keyed service under its encrypting decorator: one store as callers see it.
            Assert.Single(builder.Services, d => d.ServiceType == part && !d.IsKeyedService);
        using var provider = builder.Services.BuildServiceProvider();
        var checks = provider.GetRequiredService<IOptions<HealthCheckServiceOptions>>().Value.Registrations.Select(r => r.Name).Order(StringComparer.Ordinal);
        Assert.Equal(new[] { "analytics", "nats", "objectstore", "redis" }, checks);
    }

    [Fact]
    public void Analytics_store_registered_before_is_kept()
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.AddSingleton<IAnalyticsStore, NoStore>();
        builder.AddAnalyticsStore();
        Assert.Equal(typeof(NoStore), Assert.Single(builder.Services, d => d.ServiceType == typeof(IAnalyticsStore)).ImplementationType);
    }

    private sealed class NoStore : IAnalyticsStore
    {
        public string Backend => "none";
        public Task ExecuteAsync(string sql, IReadOnlyDictionary<string, object?>? parameters, CancellationToken cancellationToken) => throw new NotSupportedException();
        public Task<IReadOnlyList<System.Text.Json.JsonElement>> QueryAsync(string sql, IReadOnlyDictionary<string, object?>? parameters, CancellationToken cancellationToken) => throw new NotSupportedException();
        public Task InsertJsonEachRowAsync(string table, ReadOnlyMemory<byte> rows, CancellationToken cancellationToken) => throw new NotSupportedException();
        public Task InsertAsync(string table, string format, ReadOnlyMemory<byte> data, CancellationToken cancellationToken) => throw new NotSupportedException();
    }
}
