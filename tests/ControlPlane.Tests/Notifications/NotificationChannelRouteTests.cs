using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using HoneyHive.ControlPlane.Api.Tokens;
using HoneyHive.ControlPlane.Tests.Tenancy;
using HoneyHive.Platform.Security;
using Microsoft.Extensions.DependencyInjection;

namespace HoneyHive.ControlPlane.Tests.Notifications;

/// <summary>
/// The notification-channel routes beyond the permission and cross-org matrices: the SSRF guard at save, the webhook
/// secret shown once (or never, when given) and stored sealed, and an audit trail that holds neither the secret nor the URL's path.
/// </summary>
public sealed class NotificationChannelRouteTests(TenancyApp cp) : IClassFixture<TenancyApp>
{
    // TEST-NET-3: a public literal address, so the check needs no DNS on a machine without it.
    private const string PublicHook = "https://203.0.113.7/hooks/T000/B000/credential-in-the-path";

    [Fact]
    public async Task A_webhook_without_a_secret_gets_one_generated_returned_once_and_stored_sealed_for_the_channel()
    {
        var org = await cp.SeedOrgAsync();
        var owner = await cp.AsUserAsync(org.OwnerId);

        var created = await (await owner.PostJsonAsync($"/v1/projects/{org.ProjectId}/notification_channels",
            new { name = "ops hook", kind = "WEBHOOK", url = PublicHook, stages = new[] { "CRITICAL" } })).DataAsync(HttpStatusCode.Created);
        var secret = created["secret"]!.GetValue<string>();
        var id = created["channel"]!["id"]!.GetValue<string>();
        Assert.Equal(64, secret.Length);
        Assert.Equal("https://203.0.113.7/…", created["channel"]!["url"]!.GetValue<string>());
        Assert.True(created["channel"]!["has_secret"]!.GetValue<bool>());
        Assert.Equal(["CRITICAL"], created["channel"]!["stages"]!.AsArray().Select(s => s!.GetValue<string>()));

        var read = await (await owner.GetAsync($"/v1/projects/{org.ProjectId}/notification_channels/{id}")).Content.ReadAsStringAsync();
        var listed = await (await owner.GetAsync($"/v1/projects/{org.ProjectId}/notification_channels")).Content.ReadAsStringAsync();
        foreach (var answer in new[] { read, listed })
        {
            Assert.DoesNotContain(secret, answer, StringComparison.Ordinal);
            Assert.DoesNotContain("credential-in-the-path", answer, StringComparison.Ordinal);
        }

        var ring = cp.App.Services.GetRequiredKeyedService<MasterKeyRing>(SigningKeyStore.RingKey);
        var sealedBytes = await cp.ScalarAsync<byte[]>("SELECT secret_sealed FROM notification_channels WHERE id = @id", new { id = Guid.Parse(id) });
        Assert.Equal(secret, SealedText.Open(ring, Encoding.UTF8.GetString(sealedBytes!), $"notification-channel:{id}"));
        // Bound to its channel: the same value under another channel's associated data does not open.
        Assert.ThrowsAny<System.Security.Cryptography.CryptographicException>(() => SealedText.Open(ring, Encoding.UTF8.GetString(sealedBytes!), $"notification-channel:{Guid.NewGuid()}"));
    }

    [Theory]
    [InlineData("http://169.254.169.254/latest/meta-data/", "169.254.0.0/16")]
    [InlineData("http://10.1.2.3/hook", "10.0.0.0/8")]
    [InlineData("http://192.168.1.10/hook", "192.168.0.0/16")]
    [InlineData("http://127.0.0.1:8080/hook", "127.0.0.0/8")]
    [InlineData("http://[::ffff:127.0.0.1]/hook", "127.0.0.0/8")]
    [InlineData("http://[fd00:ec2::254]/", "fc00::/7")]
    [InlineData("http://0x7f000001/hook", "127.0.0.0/8")]
    [InlineData("http://localhost/hook", "local host")]
    [InlineData("http://metadata.google.internal/computeMetadata/v1/", "metadata")]
    [InlineData("ftp://203.0.113.7/hook", "only http and https")]
    [InlineData("file:///etc/passwd", "only http and https")]
    [InlineData("https://user:pw@203.0.113.7/hook", "user info")]
    public async Task A_url_the_ssrf_guard_refuses_is_400_naming_url_and_why_and_nothing_is_saved(string url, string reason)
    {
        var org = await cp.SeedOrgAsync();
        var owner = await cp.AsUserAsync(org.OwnerId);
        foreach (var kind in new[] { "SLACK", "WEBHOOK" })
        {
            using var response = await owner.PostJsonAsync($"/v1/orgs/{org.OrgId}/notification_channels", new { name = "bad", kind, url });
            var problem = await response.JsonAsync();
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Equal("url", problem["field"]!.GetValue<string>());
            Assert.Contains(reason, problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        }
        Assert.Equal(0, await cp.ScalarAsync<long>("SELECT count(*) FROM notification_channels WHERE org_id = @o", new { o = org.OrgId }));

        // Nor can an update point a saved channel there.
        var id = (await (await owner.PostJsonAsync($"/v1/orgs/{org.OrgId}/notification_channels", new { name = "ok", kind = "SLACK", url = PublicHook }))
            .DataAsync(HttpStatusCode.Created))["channel"]!["id"]!.GetValue<string>();
        using var update = await owner.PutJsonAsync($"/v1/orgs/{org.OrgId}/notification_channels/{id}", new { url });
        Assert.Equal(HttpStatusCode.BadRequest, update.StatusCode);
        Assert.Equal(PublicHook, JsonNode.Parse(await cp.ScalarAsync<string>("SELECT target::text FROM notification_channels WHERE id = @id", new { id = Guid.Parse(id) }) ?? "{}")!["url"]!.GetValue<string>());
    }

    [Fact]
    public async Task Bodies_are_checked_field_by_field()
    {
        var org = await cp.SeedOrgAsync();
        var owner = await cp.AsUserAsync(org.OwnerId);
        var cases = new (object Body, string Field)[]
        {
            (new { name = "x", kind = "PAGER" }, "kind"),
            (new { name = "x", kind = "EMAIL" }, "emails"),
            (new { name = "x", kind = "EMAIL", emails = new[] { "not an address" } }, "emails[0]"),
            (new { name = "x", kind = "SLACK" }, "url"),
            (new { name = "x", kind = "SLACK", url = PublicHook, secret = "0123456789abcdef0" }, "secret"),
            (new { name = "x", kind = "WEBHOOK", url = PublicHook, secret = "short" }, "secret"),
            (new { name = "x", kind = "EMAIL", emails = new[] { "a@example.com" }, stages = new[] { "SOMETIMES" } }, "stages[0]"),
            (new { name = "x", kind = "EMAIL", emails = new[] { "a@example.com" }, org_id = Guid.NewGuid() }, "org_id"),
        };
        foreach (var (body, field) in cases)
        {
            using var response = await owner.PostJsonAsync($"/v1/projects/{org.ProjectId}/notification_channels", body);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Equal(field, (await response.JsonAsync())["field"]!.GetValue<string>());
        }
    }
}
