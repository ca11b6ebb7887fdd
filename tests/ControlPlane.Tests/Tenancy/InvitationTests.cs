using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using HoneyHive.Contracts;
using HoneyHive.ServiceDefaults.Auth;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace HoneyHive.ControlPlane.Tests.Tenancy;

/// <summary>Sign-up by invitation: create, mail, list, revoke, accept for new and existing accounts, single use, expiry.</summary>
public sealed class InvitationTests(TenancyApp cp) : IClassFixture<TenancyApp>
{
    private const string Password = "correct horse battery staple";

    private async Task<(string Id, string Token)> InviteAsync(SeededOrg org, object body)
    {
        var owner = await cp.AsUserAsync(org.OwnerId);
        var data = await (await owner.PostJsonAsync($"/v1/orgs/{org.OrgId}/invitations", body)).DataAsync(System.Net.HttpStatusCode.Created);
        return (data["id"]!.GetValue<string>(), data["accept_token"]!.GetValue<string>());
    }

    [Fact]
    public async Task An_invitation_is_created_with_its_token_once_and_its_mail_is_published()
    {
        var org = await cp.SeedOrgAsync("Acme Invitations");
        var email = $"new-{Guid.NewGuid():N}@example.com";
        var (id, token) = await InviteAsync(org, new { email, role = "member" });

        Assert.Equal(43, token.Length);
        var stored = await cp.ScalarAsync<byte[]>("SELECT token_hash FROM invitations WHERE id = @id", new { id = Guid.Parse(id) });
        Assert.NotNull(stored);
        Assert.DoesNotContain(token, await cp.ScalarAsync<string>("SELECT row_to_json(i)::text FROM invitations i WHERE id = @id", new { id = Guid.Parse(id) }), StringComparison.Ordinal);

        var listed = (await (await (await cp.AsUserAsync(org.OwnerId)).GetAsync($"/v1/orgs/{org.OrgId}/invitations")).DataAsync()).AsArray();
        var item = Assert.Single(listed)!.AsObject();
        Assert.Equal("pending", item["status"]!.GetValue<string>());
        Assert.False(item.ContainsKey("accept_token"));

        var mail = await FindMailAsync($"invitation-{Guid.Parse(id):N}");
        Assert.Equal("invitation", mail["template"]!.GetValue<string>());
        Assert.Equal(email, mail["to"]!.GetValue<string>());
        Assert.Equal("Acme Invitations", mail["org_name"]!.GetValue<string>());
        Assert.Equal($"https://hh.example/accept?token={token}", mail["accept_url"]!.GetValue<string>());
        Assert.NotNull(mail["expires_at"]);
    }

    [Fact]
    public async Task A_new_account_accepts_once_gets_its_role_and_the_token_is_then_refused()
    {
        var org = await cp.SeedOrgAsync();
        var email = $"new-{Guid.NewGuid():N}@example.com";
        var (_, token) = await InviteAsync(org, new { email, role = "viewer" });

        await (await cp.Anonymous().PostJsonAsync("/v1/invitations/accept", new { token, name = "New", password = "short" })).ProblemAsync(400, "password");
        await (await cp.Anonymous().PostJsonAsync("/v1/invitations/accept", new { token, password = Password })).ProblemAsync(400, "name");
        var accepted = await (await cp.Anonymous().PostJsonAsync("/v1/invitations/accept", new { token, name = "New", password = Password })).DataAsync();
        Assert.Equal(email, accepted["email"]!.GetValue<string>());
        Assert.Equal(org.OrgId.ToString(), accepted["org_id"]!.GetValue<string>());
        var userId = Guid.Parse(accepted["user_id"]!.GetValue<string>());
        Assert.Equal("viewer", await cp.ScalarAsync<string>("SELECT role FROM org_members WHERE user_id = @userId AND org_id = @o", new { userId, o = org.OrgId }));
        Assert.StartsWith("$argon2id$", await cp.ScalarAsync<string>("SELECT password_hash FROM users WHERE id = @userId", new { userId }), StringComparison.Ordinal);

        var again = await (await cp.Anonymous().PostJsonAsync("/v1/invitations/accept", new { token, name = "New", password = Password })).ProblemAsync(400, "token");
        var wrong = await (await cp.Anonymous().PostJsonAsync("/v1/invitations/accept", new { token = "x" + token, name = "New", password = Password })).ProblemAsync(400, "token");
        Assert.Equal(again["detail"]!.GetValue<string>(), wrong["detail"]!.GetValue<string>());
    }

    [Fact]
    public async Task An_existing_account_accepts_with_its_access_token_and_not_with_a_password()
    {
        var org = await cp.SeedOrgAsync();
        var other = await cp.SeedOrgAsync();
        var existing = await cp.AddUserAsync(other.OrgId, BuiltInRoles.Viewer);
        var (_, token) = await InviteAsync(org, new { email = TenancyApp.EmailOf(existing).ToUpperInvariant(), role = "member", scope_type = "workspace", scope_id = org.WorkspaceId });

        await (await cp.Anonymous().PostJsonAsync("/v1/invitations/accept", new { token, name = "X", password = Password })).ProblemAsync(400, "password");
        await (await cp.Anonymous().PostJsonAsync("/v1/invitations/accept", new { token })).ProblemAsync(400, "authorization");
        var someoneElse = await cp.AsUserAsync(other.OwnerId);
        await (await someoneElse.PostJsonAsync("/v1/invitations/accept", new { token })).ProblemAsync(400, "authorization");

        var client = await cp.AsUserAsync(existing);
        var accepted = await (await client.PostJsonAsync("/v1/invitations/accept", new { token })).DataAsync();
        Assert.Equal(existing.ToString(), accepted["user_id"]!.GetValue<string>());
        Assert.Equal("member", await cp.ScalarAsync<string>(
            "SELECT role FROM role_bindings WHERE user_id = @existing AND scope_type = 'workspace' AND scope_id = @w", new { existing, w = org.WorkspaceId }));
        Assert.Null(await cp.ScalarAsync<string>("SELECT role FROM org_members WHERE user_id = @existing AND org_id = @o", new { existing, o = org.OrgId }));
        (await client.GetAsync($"/v1/workspaces/{org.WorkspaceId}")).EnsureSuccessStatusCode();
    }

    [Fact]
    public async Task Expired_and_revoked_invitations_are_refused_with_the_same_message()
    {
        var org = await cp.SeedOrgAsync();
        var (expiredId, expired) = await InviteAsync(org, new { email = $"e-{Guid.NewGuid():N}@example.com", role = "viewer" });
        var (revokedId, revoked) = await InviteAsync(org, new { email = $"r-{Guid.NewGuid():N}@example.com", role = "viewer" });
        await cp.ExecuteAsync("UPDATE invitations SET expires_at = now() - interval '1 second' WHERE id = @id", new { id = Guid.Parse(expiredId) });
        var owner = await cp.AsUserAsync(org.OwnerId);
        Assert.Equal("revoked", (await (await owner.DeleteAsync($"/v1/orgs/{org.OrgId}/invitations/{revokedId}")).DataAsync())["status"]!.GetValue<string>());
        await (await owner.DeleteAsync($"/v1/orgs/{org.OrgId}/invitations/{revokedId}")).ProblemAsync(409);

        var a = await (await cp.Anonymous().PostJsonAsync("/v1/invitations/accept", new { token = expired, name = "A", password = Password })).ProblemAsync(400, "token");
        var b = await (await cp.Anonymous().PostJsonAsync("/v1/invitations/accept", new { token = revoked, name = "B", password = Password })).ProblemAsync(400, "token");
        Assert.Equal(a["detail"]!.GetValue<string>(), b["detail"]!.GetValue<string>());
        Assert.Equal(0, await cp.ScalarAsync<long>("SELECT count(*) FROM users WHERE email LIKE 'e-%' OR email LIKE 'r-%'"));
    }

    [Theory]
    [InlineData("{\"email\":\"not-an-email\",\"role\":\"viewer\"}", "email")]
    [InlineData("{\"email\":\"a@example.com\",\"role\":\"emperor\"}", "role")]
    [InlineData("{\"email\":\"a@example.com\",\"role\":\"viewer\",\"scope_type\":\"galaxy\"}", "scope_type")]
    [InlineData("{\"email\":\"a@example.com\",\"role\":\"viewer\",\"scope_type\":\"project\",\"scope_id\":\"nope\"}", "scope_id")]
    [InlineData("{\"email\":\"a@example.com\",\"role\":\"viewer\",\"accept_token\":\"mine\"}", "accept_token")]
    [InlineData("{\"email\":\"a@example.com\",\"role\":\"viewer\",\"expires_at\":\"2099-01-01T00:00:00Z\"}", "expires_at")]
    public async Task Bad_invitations_are_400_naming_the_field_and_nothing_is_stored(string json, string field)
    {
        var org = await cp.SeedOrgAsync();
        var owner = await cp.AsUserAsync(org.OwnerId);
        await (await owner.SendRawAsync(HttpMethod.Post, $"/v1/orgs/{org.OrgId}/invitations", json)).ProblemAsync(400, field);
        Assert.Equal(0, await cp.ScalarAsync<long>("SELECT count(*) FROM invitations WHERE org_id = @o", new { o = org.OrgId }));
    }

    [Fact]
    public async Task Only_owners_invite_owners_and_members_cannot_invite()
    {
        var org = await cp.SeedOrgAsync();
        var admin = await cp.AsUserAsync(await cp.AddUserAsync(org.OrgId, BuiltInRoles.Admin));
        var member = await cp.AsUserAsync(await cp.AddUserAsync(org.OrgId, BuiltInRoles.Member));
        await (await admin.PostJsonAsync($"/v1/orgs/{org.OrgId}/invitations", new { email = "o@example.com", role = "owner" })).ProblemAsync(403, "role");
        await (await member.PostJsonAsync($"/v1/orgs/{org.OrgId}/invitations", new { email = "o@example.com", role = "viewer" })).ProblemAsync(403);
        (await admin.PostJsonAsync($"/v1/orgs/{org.OrgId}/invitations", new { email = "o@example.com", role = "admin" })).EnsureSuccessStatusCode();
        Assert.Equal(1, await cp.ScalarAsync<long>("SELECT count(*) FROM invitations WHERE org_id = @o", new { o = org.OrgId }));
    }

    [Fact]
    public async Task A_workspace_admin_invites_to_their_workspace_but_not_to_the_org_and_may_revoke_it()
    {
        var org = await cp.SeedOrgAsync();
        var admin = await cp.AsUserAsync(await cp.AddUserAsync(org.OrgId, null, ("workspace", org.WorkspaceId, BuiltInRoles.Admin)));
        var created = await (await admin.PostJsonAsync($"/v1/orgs/{org.OrgId}/invitations",
            new { email = "ws@example.com", role = "member", scope_type = "workspace", scope_id = org.WorkspaceId })).DataAsync(System.Net.HttpStatusCode.Created);
        Assert.Equal("workspace", created["scope_type"]!.GetValue<string>());
        await (await admin.PostJsonAsync($"/v1/orgs/{org.OrgId}/invitations", new { email = "org@example.com", role = "member" })).ProblemAsync(404);
        await (await admin.PostJsonAsync($"/v1/orgs/{org.OrgId}/invitations",
            new { email = "ws@example.com", role = "owner", scope_type = "workspace", scope_id = org.WorkspaceId })).ProblemAsync(400, "role");
        (await admin.DeleteAsync($"/v1/orgs/{org.OrgId}/invitations/{created["id"]!.GetValue<string>()}")).EnsureSuccessStatusCode();
        Assert.Equal(1, await cp.ScalarAsync<long>("SELECT count(*) FROM invitations WHERE org_id = @o AND revoked_at IS NOT NULL", new { o = org.OrgId }));
    }

    [Fact]
    public async Task Two_concurrent_accepts_of_one_token_create_one_account()
    {
        var org = await cp.SeedOrgAsync();
        var email = $"race-{Guid.NewGuid():N}@example.com";
        var (_, token) = await InviteAsync(org, new { email, role = "viewer" });
        var answers = await Task.WhenAll(Enumerable.Range(0, 2).Select(i =>
            cp.Anonymous().PostJsonAsync("/v1/invitations/accept", new { token, name = $"R{i}", password = Password })));
        Assert.Equal([200, 400], answers.Select(a => (int)a.StatusCode).Order());
        Assert.Equal(1, await cp.ScalarAsync<long>("SELECT count(*) FROM users WHERE email = @email", new { email }));
    }

    [Fact]
    public async Task Accepting_never_lowers_an_existing_members_org_role()
    {
        var org = await cp.SeedOrgAsync();
        var admin = await cp.AddUserAsync(org.OrgId, BuiltInRoles.Admin);
        var (_, token) = await InviteAsync(org, new { email = TenancyApp.EmailOf(admin), role = "viewer" });
        (await (await cp.AsUserAsync(admin)).PostJsonAsync("/v1/invitations/accept", new { token })).EnsureSuccessStatusCode();
        Assert.Equal("admin", await cp.ScalarAsync<string>("SELECT role FROM org_members WHERE user_id = @admin", new { admin }));
    }

    private async Task<JsonObject> FindMailAsync(string messageId)
    {
        await using var connection = new NatsConnection(NatsOpts.Default with { Url = TestServers.NatsUrl });
        var js = new NatsJSContext(connection);
        var consumer = await js.CreateOrUpdateConsumerAsync(Streams.Notifications, new ConsumerConfig
        {
            Name = "cp-mail-reader-" + Guid.NewGuid().ToString("N"),
            FilterSubject = Topics.NotificationsEmail,
            DeliverPolicy = ConsumerConfigDeliverPolicy.All,
            AckPolicy = ConsumerConfigAckPolicy.None,
            InactiveThreshold = TimeSpan.FromSeconds(30),
        });
        var pending = (int)consumer.Info.NumPending;
        await foreach (var message in consumer.FetchAsync<byte[]>(new NatsJSFetchOpts { MaxMsgs = Math.Max(pending, 1), Expires = TimeSpan.FromSeconds(5) }))
        {
            var envelope = JsonNode.Parse(message.Data!)!.AsObject();
            if (envelope["id"]!.GetValue<string>() == messageId) return envelope["data"]!.AsObject();
        }
        throw new Xunit.Sdk.XunitException($"No notifications.email message {messageId} among {pending}.");
    }
}
