namespace HoneyHive.EndToEnd.Tests.LlmProxy;

/// <summary>
/// The Host with its <c>openai</c> kind pointed at <see cref="FakeOpenAiUpstream"/> in this process (loopback, which
/// the SSRF guard admits only because the operator allowlist names it, as for a local Ollama).
/// </summary>
public sealed class ProxyHost : HostProcess
{
    public FakeOpenAiUpstream Upstream { get; private set; } = null!;

    public override async Task InitializeAsync()
    {
        Upstream = await FakeOpenAiUpstream.StartAsync();
        ExtraEnvironment["LlmProxy__ProviderBaseUrls__openai"] = Upstream.BaseUrl;
        ExtraEnvironment["HH_ALLOWED_PRIVATE_HOSTS"] = "127.0.0.1";
        await base.InitializeAsync();
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await Upstream.DisposeAsync();
    }
}
