using System.Collections.Concurrent;
using System.Net.Http.Json;
using System.Security.Cryptography;
using HoneyHive.DataPlane.Api.Apis;
using HoneyHive.DataPlane.Api.Secrets;
using HoneyHive.DataPlane.Tests.Definitions;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace HoneyHive.DataPlane.Tests.Secrets;

/// <summary>How the master key configuration is checked when the host starts, and that values never reach the logs.</summary>
public sealed class MasterKeyStartupTests(DefinitionsFixture fixture) : IClassFixture<DefinitionsFixture>
{
    [Fact]
    public async Task Production_without_a_master_key_fails_at_startup_with_a_clear_message()
    {
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => StartAsync("Production", masterKey: null, new CollectingLogger()));
        Assert.Contains("Secrets:MasterKey is not configured", error.Message);
    }

    [Theory]
    [InlineData("not base64!")]
    [InlineData("c2hvcnQ=")] // "short": valid base64, but not 32 bytes
    public async Task An_invalid_master_key_fails_at_startup_in_every_environment(string key)
    {
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => StartAsync("Development", key, new CollectingLogger()));
        Assert.Contains("Secrets:MasterKey is not a base64-encoded 32-byte key", error.Message);
        Assert.DoesNotContain(key, error.Message);
    }

    [Fact]
    public async Task An_invalid_previous_key_fails_at_startup()
    {
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() =>
            StartAsync("Production", Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)), new CollectingLogger(), previousKey: "AAAA"));
        Assert.Contains("Secrets:PreviousKeys:0", error.Message);
    }

    [Fact]
    public async Task Development_without_a_master_key_uses_an_ephemeral_one_and_warns()
    {
        var logs = new CollectingLogger();
        await using var app = await StartAsync("Development", masterKey: null, logs);
        var client = app.GetTestClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer", "key-c");
        (await client.PutAsJsonAsync("/v1/provider-secrets/openai", new { value = "sk-ephemeral-0123456789" })).EnsureSuccessStatusCode();
        var secrets = app.Services.GetRequiredService<IProviderSecrets>();
        Assert.Equal("sk-ephemeral-0123456789", await secrets.GetAsync(Tenants.C.WorkspaceId, "openai", CancellationToken.None));
        Assert.Contains(logs.Messages, m => m.Level == LogLevel.Warning && m.Text.Contains("ephemeral", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Secret_values_never_reach_the_logs()
    {
        const string value = "sk-never-log-this-0123456789";
        var logs = new CollectingLogger();
        await using var app = await StartAsync("Production", Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)), logs);
        var client = app.GetTestClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer", "key-c");
        (await client.PutAsJsonAsync("/v1/provider-secrets/groq", new { value })).EnsureSuccessStatusCode();
        (await client.GetAsync("/v1/provider-secrets/groq")).EnsureSuccessStatusCode();
        (await client.PostAsync("/v1/provider-secrets/rotate", null)).EnsureSuccessStatusCode();
        await app.Services.GetRequiredService<IProviderSecrets>().GetAsync(Tenants.C.WorkspaceId, "groq", CancellationToken.None);

        Assert.Contains(logs.Messages, m => m.Text.Contains("groq", StringComparison.Ordinal)); // the store does log its writes
        Assert.DoesNotContain(logs.Messages, m => m.Text.Contains("never-log-this", StringComparison.Ordinal));
    }

    private async Task<WebApplication> StartAsync(string environment, string? masterKey, CollectingLogger logs, string? previousKey = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = environment });
        builder.WebHost.UseTestServer();
        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(LogLevel.Trace);
        builder.Logging.AddProvider(logs);
        builder.Configuration["ConnectionStrings:dpdb"] = fixture.ConnectionString;
        if (masterKey is not null) builder.Configuration["Secrets:MasterKey"] = masterKey;
        if (previousKey is not null) builder.Configuration["Secrets:PreviousKeys:0"] = previousKey;
        builder.Services.AddAuthentication(TestAuthHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, TestAuthHandler>(TestAuthHandler.SchemeName, null);
        builder.Services.AddAuthorization();
        builder.AddProviderSecrets();
        var app = builder.Build();
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapSecretsApi();
        try
        {
            await app.StartAsync();
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }
        return app;
    }

    private sealed class CollectingLogger : ILoggerProvider, ILogger
    {
        public ConcurrentQueue<(LogLevel Level, string Text)> Messages { get; } = new();

        public ILogger CreateLogger(string categoryName) => this;

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Messages.Enqueue((logLevel, formatter(state, exception) + " " + exception));

        public void Dispose()
        {
        }
    }
}
