using System.Net.Http.Headers;
using System.Security.Cryptography;
using HoneyHive.DataPlane.Api.Secrets;
using HoneyHive.DataPlane.Tests.LlmProxy.Providers;
using HoneyHive.LlmProxy;
using HoneyHive.Platform.Security.Outbound;
using HoneyHive.ServiceDefaults;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace HoneyHive.DataPlane.Tests.LlmProxy;

/// <summary>
/// The LLM proxy's routes on Kestrel (loopback, so real clients and real disconnects work) over a fresh dpdb holding
/// the test tenants, and the test upstreams: an OpenAI-wire server whose base URL is stored as each tenant's
/// <c>openai</c> key's. Tests seed further secrets through <see cref="Secrets"/>.
/// </summary>
public sealed class LlmProxyFixture : IAsyncLifetime
{
    public const string OpenAiKey = "sk-test-upstream-key-0123456789";

    private FreshDpdb database = null!;
    private WebApplication? app;

    /// <summary>The Redis key prefix of this run, so limits never carry over from an earlier run.</summary>
    public string KeyPrefix { get; } = $"hh-test-{Guid.NewGuid():N}:";

    public FakeOpenAiUpstream OpenAi { get; private set; } = null!;

    public FakeAnthropicUpstream Anthropic { get; private set; } = null!;

    public FakeGoogleUpstream Google { get; private set; } = null!;

    public string BaseUrl { get; private set; } = "";

    /// <summary>The SSRF guard's resolver: tests map made-up names to the addresses a hostile DNS server would give.</summary>
    public MappedResolver Resolver { get; } = new();

    public IServiceProvider Services => app!.Services;

    public IProviderSecrets Secrets => Services.GetRequiredService<IProviderSecrets>();

    public ProviderSecretStore SecretStore => Services.GetRequiredService<ProviderSecretStore>();

    public async Task InitializeAsync()
    {
        database = await FreshDpdb.CreateAsync("hh_test_proxy_", [Tenants.A, Tenants.B, Tenants.C, Tenants.D]);
        OpenAi = await FakeOpenAiUpstream.StartAsync();
        Anthropic = await FakeAnthropicUpstream.StartAsync();
        Google = await FakeGoogleUpstream.StartAsync();

        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Production" });
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Configuration["ConnectionStrings:dpdb"] = database.ConnectionString;
        builder.Configuration["Secrets:MasterKey"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        // Short waits so retry tests stay quick; the retry-after cap is what a test of a long retry-after crosses.
        builder.Configuration["LlmProxy:BaseBackoff"] = "00:00:00.010";
        builder.Configuration["LlmProxy:MaxBackoff"] = "00:00:00.050";
        builder.Configuration["LlmProxy:MaxRetryAfter"] = "00:00:02";
        builder.Configuration["LlmProxy:AttemptTimeout"] = "00:00:03";
        builder.Configuration["LlmProxy:FirstChunkTimeout"] = "00:00:03";
        builder.Configuration["LlmProxy:StreamIdleTimeout"] = "00:00:03";
        builder.Configuration["LlmProxy:ProviderBaseUrls:openai"] = OpenAi.BaseUrl;
        builder.Configuration["LlmProxy:ProviderBaseUrls:anthropic"] = Anthropic.BaseUrl;
        builder.Configuration["LlmProxy:ProviderBaseUrls:gemini"] = Google.BaseUrl;
        builder.Configuration["LlmProxy:ProviderBaseUrls:vertex"] = Google.BaseUrl;
        builder.Configuration["LlmProxy:ProviderBaseUrls:bedrock"] = Bedrock.FakeBedrockRuntime.Shared.BaseUrl;
        // Traces go to the test NATS; limits live in the test Redis under keys of this run only. Project C has a small
        // rate limit and B a small concurrency cap for the limit tests; the others keep the defaults.
        builder.Configuration["ConnectionStrings:nats"] = TestServers.NatsUrl;
        builder.Configuration["ConnectionStrings:redis"] = TestServers.Redis;
        builder.Configuration["State:KeyPrefix"] = KeyPrefix;
        builder.Configuration[$"LlmProxy:Limits:Projects:{Tenants.C.ProjectId}:RequestsPerMinute"] = "3";
        builder.Configuration[$"LlmProxy:Limits:Projects:{Tenants.C.ProjectId}:MaxConcurrent"] = "0";
        builder.Configuration[$"LlmProxy:Limits:Projects:{Tenants.B.ProjectId}:RequestsPerMinute"] = "0";
        builder.Configuration[$"LlmProxy:Limits:Projects:{Tenants.B.ProjectId}:MaxConcurrent"] = "2";
        // The fakes listen on loopback, which the SSRF guard refuses unless the operator allows it, as here.
        builder.Configuration["HH_ALLOWED_PRIVATE_HOSTS"] = "127.0.0.1";
        builder.Services.AddSingleton<IOutboundResolver>(Resolver);
        builder.Services.AddApiRequestErrors();
        builder.AddLlmProxy();
        builder.Services.AddAuthentication(TestAuthHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, TestAuthHandler>(TestAuthHandler.SchemeName, null);
        app = builder.Build();
        app.UseExceptionHandler();
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapLlmProxy();
        await app.StartAsync();
        BaseUrl = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();

        foreach (var tenant in new[] { Tenants.A, Tenants.D })
            await SecretStore.PutAsync(tenant.WorkspaceId, "openai", OpenAiKey, CancellationToken.None);
    }

    public HttpClient Client(string key = "key-a")
    {
        var client = new HttpClient { BaseAddress = new Uri(BaseUrl) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return client;
    }

    public async Task DisposeAsync()
    {
        if (app is not null) await app.DisposeAsync();
        await OpenAi.DisposeAsync();
        await Anthropic.DisposeAsync();
        await Google.DisposeAsync();
        await database.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class LlmProxyCollection : ICollectionFixture<LlmProxyFixture>
{
    public const string Name = "llm-proxy";
}
