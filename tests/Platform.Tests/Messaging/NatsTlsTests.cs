using NATS.Client.Core;

namespace HoneyHive.Platform.Tests.Messaging;

/// <summary>nats-server with the <c>tls {}</c> block ./hh writes when HH_TLS_CERT is set: TLS clients only.</summary>
public sealed class NatsTlsTests : IAsyncLifetime
{
    private readonly TestCertificateAuthority ca = TestCertificateAuthority.Create("hh-nats-ca");
    private PrivateNatsServer server = null!;

    public async Task InitializeAsync() => server = await PrivateNatsServer.StartAsync(tls: ca.IssueServer());

    public async Task DisposeAsync()
    {
        await server.DisposeAsync();
        ca.Dispose();
    }

    [Fact]
    public async Task A_plaintext_client_is_refused()
    {
        await using var plain = new NatsConnection(new NatsOpts
        {
            Url = server.Url,
            TlsOpts = new NatsTlsOpts { Mode = TlsMode.Disable },
            MaxReconnectRetry = 0,
        });
        await Assert.ThrowsAnyAsync<NatsException>(async () => await plain.ConnectAsync());
    }

    [Fact]
    public async Task A_tls_client_that_trusts_the_ca_publishes_and_receives()
    {
        await using var client = new NatsConnection(new NatsOpts
        {
            Url = $"tls://127.0.0.1:{server.Port}",
            TlsOpts = new NatsTlsOpts { Mode = TlsMode.Require, CaFile = ca.CaPath },
        });
        await client.ConnectAsync();
        await using var subscription = await client.SubscribeCoreAsync<string>("tls.check");
        await client.PublishAsync("tls.check", "over tls");
        var message = await subscription.Msgs.ReadAsync();
        Assert.Equal("over tls", message.Data);
    }

    [Fact]
    public async Task A_tls_client_that_does_not_trust_the_ca_is_refused()
    {
        using var stranger = TestCertificateAuthority.Create("stranger");
        await using var client = new NatsConnection(new NatsOpts
        {
            Url = $"tls://127.0.0.1:{server.Port}",
            TlsOpts = new NatsTlsOpts { Mode = TlsMode.Require, CaFile = stranger.CaPath },
            MaxReconnectRetry = 0,
        });
        await Assert.ThrowsAnyAsync<NatsException>(async () => await client.ConnectAsync());
    }
}
