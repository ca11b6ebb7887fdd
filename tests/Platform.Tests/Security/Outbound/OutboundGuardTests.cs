using System.Net;
using HoneyHive.Platform.Security.Outbound;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace HoneyHive.Platform.Tests.Security.Outbound;

public sealed class OutboundGuardTests
{
    private static readonly CancellationToken Ct = CancellationToken.None;

    [Theory]
    [InlineData("http://127.0.0.1/")]
    [InlineData("http://127.0.0.2:8080/v1")]
    [InlineData("http://2130706433/")] // decimal 127.0.0.1
    [InlineData("http://0x7f000001/")] // hex
    [InlineData("http://0x7f.0.0.1/")] // hex first part
    [InlineData("http://017700000001/")] // octal
    [InlineData("http://0177.0.0.1/")] // octal first part
    [InlineData("http://127.1/")] // short form
    [InlineData("http://0/")] // 0.0.0.0, the local host on Linux
    [InlineData("http://0.0.0.0/")]
    [InlineData("http://[::1]/")]
    [InlineData("http://[::]/")]
    [InlineData("http://[::ffff:127.0.0.1]/")] // IPv4-mapped loopback
    [InlineData("http://[::ffff:7f00:1]/")] // the same, in hex
    [InlineData("http://[0:0:0:0:0:ffff:a9fe:a9fe]/")] // mapped metadata address
    [InlineData("http://[64:ff9b::a9fe:a9fe]/")] // NAT64 of 169.254.169.254
    [InlineData("http://[2002:7f00:1::]/")] // 6to4 of 127.0.0.1
    [InlineData("http://169.254.169.254/latest/meta-data/")]
    [InlineData("http://[fd00:ec2::254]/")] // AWS IPv6 metadata
    [InlineData("http://[fe80::1]/")]
    [InlineData("http://[ff02::1]/")]
    [InlineData("http://10.1.2.3/")]
    [InlineData("http://172.16.0.1/")]
    [InlineData("http://172.31.255.255/")]
    [InlineData("http://192.168.1.1/")]
    [InlineData("http://100.64.0.1/")]
    [InlineData("http://198.18.0.1/")]
    [InlineData("http://224.0.0.1/")]
    [InlineData("http://255.255.255.255/")]
    [InlineData("http://localhost:11434/v1")]
    [InlineData("http://LOCALHOST./")]
    [InlineData("http://ollama.localhost/")]
    [InlineData("http://metadata.google.internal/computeMetadata/v1/")]
    [InlineData("http://metadata/")]
    [InlineData("http://1.2.3.4.5/")] // numeric but no address: never handed to a resolver
    public async Task Private_loopback_link_local_and_metadata_urls_are_refused_in_every_spelling(string url)
    {
        var guard = GuardFactory.Create();

        var refused = await Assert.ThrowsAsync<OutboundAddressRefusedException>(() => guard.CheckUrlAsync(new Uri(url), Ct));

        Assert.Contains(OutboundGuardOptions.AllowedPrivateHostsKey, refused.Message);
    }

    [Theory]
    [InlineData("ftp://example.com/")]
    [InlineData("file:///etc/passwd")]
    [InlineData("http://user:p4ss-w0rd@example.com/")]
    public async Task Urls_other_than_plain_http_and_https_are_refused(string url)
    {
        var refused = await Assert.ThrowsAsync<OutboundAddressRefusedException>(() => GuardFactory.Create().CheckUrlAsync(new Uri(url), Ct));

        Assert.DoesNotContain("p4ss-w0rd", refused.Message);
    }

    [Fact]
    public async Task A_name_resolving_to_a_private_address_is_refused()
    {
        var resolver = new MappedResolver();
        resolver.Map("internal.test", "10.20.30.40");

        var refused = await Assert.ThrowsAsync<OutboundAddressRefusedException>(
            () => GuardFactory.Create(resolver: resolver).CheckUrlAsync(new Uri("https://internal.test/v1"), Ct));

        Assert.Equal("internal.test", refused.Host);
        Assert.Contains("10.20.30.40", refused.Reason);
    }

    [Fact]
    public async Task A_name_with_one_public_and_one_private_address_is_refused()
    {
        var resolver = new MappedResolver();
        resolver.Map("mixed.test", "93.184.215.14", "::ffff:169.254.169.254");

        await Assert.ThrowsAsync<OutboundAddressRefusedException>(
            () => GuardFactory.Create(resolver: resolver).CheckUrlAsync(new Uri("https://mixed.test/"), Ct));
    }

    [Theory]
    [InlineData("https://93.184.215.14/v1")]
    [InlineData("https://[2606:2800:21f:cb07:6820:80da:af6b:8b2c]/")]
    [InlineData("https://public.test/v1")]
    public async Task Public_addresses_and_names_resolving_to_them_are_admitted(string url)
    {
        var resolver = new MappedResolver();
        resolver.Map("public.test", "93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c");

        await GuardFactory.Create(resolver: resolver).CheckUrlAsync(new Uri(url), Ct);

        Assert.Equal(url.Contains("public.test", StringComparison.Ordinal) ? 1 : 0, resolver.Lookups.GetValueOrDefault("public.test"));
    }

    [Fact]
    public async Task An_allowlisted_host_name_admits_the_private_addresses_it_resolves_to()
    {
        var resolver = new MappedResolver();
        resolver.Map("ollama.internal", "10.0.0.5");
        resolver.Map("other.internal", "10.0.0.5");
        var guard = GuardFactory.Create("  OLLAMA.internal , gpu-box", resolver);

        await guard.CheckUrlAsync(new Uri("http://ollama.internal:11434/v1"), Ct);
        await Assert.ThrowsAsync<OutboundAddressRefusedException>(() => guard.CheckUrlAsync(new Uri("http://other.internal:11434/v1"), Ct));
    }

    [Fact]
    public async Task An_allowlisted_cidr_admits_its_addresses_and_their_mapped_forms_only()
    {
        var guard = GuardFactory.Create("10.0.0.0/8,fd12::/16,127.0.0.1");

        await guard.CheckUrlAsync(new Uri("http://10.200.1.1/"), Ct);
        await guard.CheckUrlAsync(new Uri("http://[::ffff:10.200.1.1]/"), Ct);
        await guard.CheckUrlAsync(new Uri("http://[fd12::7]/"), Ct);
        await guard.CheckUrlAsync(new Uri("http://2130706433/"), Ct); // 127.0.0.1, however spelled
        await Assert.ThrowsAsync<OutboundAddressRefusedException>(() => guard.CheckUrlAsync(new Uri("http://127.0.0.2/"), Ct));
        await Assert.ThrowsAsync<OutboundAddressRefusedException>(() => guard.CheckUrlAsync(new Uri("http://192.168.0.1/"), Ct));
        await Assert.ThrowsAsync<OutboundAddressRefusedException>(() => guard.CheckUrlAsync(new Uri("http://[fd00:ec2::254]/"), Ct));
    }

    [Fact]
    public void An_allowlist_entry_that_is_neither_a_host_nor_a_cidr_fails_at_startup()
    {
        var error = Assert.Throws<FormatException>(() => new OutboundAddressPolicy("10.0.0.0/8, http://x/"));

        Assert.Contains("http://x/", error.Message);
    }

    [Fact]
    public void A_malformed_allowlist_stops_startup_naming_the_entry()
    {
        var services = new Microsoft.Extensions.DependencyInjection.ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder()
            .AddInMemoryCollection([new(OutboundGuardOptions.AllowedPrivateHostsKey, "10.0.0.0/33")]).Build());
        services.AddOutboundGuard();
        using var provider = services.BuildServiceProvider();

        var error = Assert.Throws<Microsoft.Extensions.Options.OptionsValidationException>(
            () => provider.GetRequiredService<Microsoft.Extensions.Options.IOptions<OutboundGuardOptions>>().Value);

        Assert.Contains("10.0.0.0/33", error.Message);
    }

    [Fact]
    public void The_policy_judges_ipv6_forms_by_the_ipv4_address_they_carry()
    {
        var policy = new OutboundAddressPolicy(null);

        Assert.NotNull(policy.RefuseAddress("x", IPAddress.Parse("::ffff:192.168.1.1")));
        Assert.NotNull(policy.RefuseAddress("x", IPAddress.Parse("::127.0.0.1")));
        Assert.Null(policy.RefuseAddress("x", IPAddress.Parse("::ffff:8.8.8.8")));
        Assert.Null(policy.RefuseAddress("x", IPAddress.Parse("64:ff9b::808:808")));
    }
}
