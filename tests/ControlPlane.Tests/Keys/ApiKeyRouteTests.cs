using System.Net;
using System.Text.Json.Nodes;
using Dapper;
using HoneyHive.Platform.Security;
using HoneyHive.ServiceDefaults.Auth;

namespace HoneyHive.ControlPlane.Tests.Keys;

/// <summary>The key routes of the control plane: project keys and control-plane keys, who may create, list and revoke them.</summary>
public sealed class ApiKeyRouteTests(KeysApp cp) : IClassFixture<KeysApp>
{
    private static readonly HttpMethod Get = HttpMethod.Get, Post = HttpMethod.Post, Delete = HttpMethod.Delete;

    private string ProjectKeys => $"/v1/projects/{cp.ProjectId}/api_keys";
    private string OrgKeys => $"/v1/orgs/{cp.OrgId}/api_keys";

    [Fact]
    public async Task A_created_project_key_is_shown_once_and_listed_only_masked_with_the_bootstrap_key()
    {
        using var owner = cp.As(cp.OwnerId);
        var (status, created, _) = await KeysApp.SendAsync(owner, Post, ProjectKeys, new { name = "ci", scopes = new[] { "read", "write" } });

        Assert.Equal(HttpStatusCode.Created, status);
        var key = created!["key"]!.GetValue<string>();
        Assert.StartsWith(ApiKeys.Prefix, key, StringComparison.Ordinal);
        Assert.Equal(key[..8], created["key_prefix"]!.GetValue<string>());
        Assert.Equal(new[] { "read", "write" }, created["scopes"]!.AsArray().Select(s => s!.GetValue<string>()));

        var (listed, list, text) = await KeysApp.SendAsync(owner, Get, ProjectKeys);
        Assert.Equal(HttpStatusCode.OK, listed);
        Assert.DoesNotContain(key, text, StringComparison.Ordinal);
        Assert.DoesNotContain(cp.BootstrapKey, text, StringComparison.Ordinal);
        Assert.DoesNotContain(Convert.ToHexString(ApiKeys.Hash(key)), text, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(Convert.ToBase64String(ApiKeys.Hash(key)), text, StringComparison.Ordinal);
        var items = list!.AsArray().Select(i => i!.AsObject()).ToList();
        Assert.All(items, i => Assert.False(i.ContainsKey("key") || i.ContainsKey("key_hash")));
        var mine = Assert.Single(items, i => i["id"]!.GetValue<string>() == created["id"]!.GetValue<string>());
        Assert.Equal(key[..8] + "…", mine["masked"]!.GetValue<string>());
        Assert.Equal(cp.OwnerId.ToString(), mine["created_by"]!.GetValue<string>());
        var bootstrap = Assert.Single(items, i => i["name"]!.GetValue<string>() == "bootstrap");
        Assert.Equal(cp.BootstrapKey[..8] + "…", bootstrap["masked"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("""{"name":"k","scopes":["read","everything"]}""", "scopes[1]")]
    [InlineData("""{"name":"k","scopes":[]}""", "scopes")]
    [InlineData("""{"name":"k"}""", "scopes")]
    [InlineData("""{"name":"k","scopes":["read",7]}""", "scopes[1]")]
    [InlineData("""{"scopes":["read"]}""", "name")]
    [InlineData("""{"name":"","scopes":["read"]}""", "name")]
    [InlineData("""{"name":"k","scopes":["read"],"project_id":"00000000-0000-0000-0000-000000000001"}""", "project_id")]
    [InlineData("""{"name":"k","scopes":["read"],"key_hash":"AAAA"}""", "key_hash")]
    [InlineData("""{"name":"k","scopes":["read"],"expires_at":"2001-01-01T00:00:00Z"}""", "expires_at")]
    [InlineData("""{"name":"k","scopes":["read"],"expires_at":"2999-01-01T00:00:00Z"}""", "expires_at")]
    [InlineData("""{"name":"k","scopes":["read"],"expires_at":"tomorrow"}""", "expires_at")]
    [InlineData("""["read"]""", "body")]
    public async Task A_bad_project_key_request_is_a_400_naming_the_field(string body, string field)
    {
        using var owner = cp.As(cp.OwnerId);
        var (status, problem, text) = await KeysApp.SendAsync(owner, Post, ProjectKeys, body);

        Assert.True(status == HttpStatusCode.BadRequest, text);
        Assert.Equal(field, problem!["field"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_name_over_100_characters_is_refused_naming_name()
    {
        using var owner = cp.As(cp.OwnerId);
        var (status, problem, _) = await KeysApp.SendAsync(owner, Post, ProjectKeys, new { name = new string('k', 101), scopes = new[] { "read" } });

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("name", problem!["field"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_member_lists_keys_but_cannot_create_one_and_a_user_of_another_org_is_told_the_project_does_not_exist()
    {
        var member = await cp.UserAsync(BuiltInRoles.Member);
        var other = await cp.TenantAsync();
        var stranger = await cp.UserAsync(BuiltInRoles.Owner, other.OrgId);
        using var asMember = cp.As(member);
        using var asStranger = cp.As(stranger);
        var body = new { name = "x", scopes = new[] { "read" } };

        Assert.Equal(HttpStatusCode.OK, (await KeysApp.SendAsync(asMember, Get, ProjectKeys)).Status);
        var (refused, problem, _) = await KeysApp.SendAsync(asMember, Post, ProjectKeys, body);
        Assert.Equal(HttpStatusCode.Forbidden, refused);
        Assert.Contains(Permissions.KeysManage, problem!["detail"]!.GetValue<string>(), StringComparison.Ordinal);

        Assert.Equal(HttpStatusCode.NotFound, (await KeysApp.SendAsync(asStranger, Get, ProjectKeys)).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await KeysApp.SendAsync(asStranger, Post, ProjectKeys, body)).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await KeysApp.SendAsync(asStranger, Get, "/v1/projects/not-a-uuid/api_keys")).Status);
        // The stranger's own project is theirs: the owner of the bootstrap org does not reach it.
        using var owner = cp.As(cp.OwnerId);
        Assert.Equal(HttpStatusCode.NotFound, (await KeysApp.SendAsync(owner, Post, $"/v1/projects/{other.ProjectId}/api_keys", body)).Status);
    }

    [Fact]
    public async Task A_role_with_keys_manage_cannot_mint_a_project_key_that_does_more_than_the_role()
    {
        await cp.CustomRoleAsync("key-clerk", Permissions.KeysManage, Permissions.KeysRead, Permissions.EventsRead, Permissions.DatasetsRead,
            Permissions.ExperimentsRead, Permissions.MetricsRead, Permissions.ConfigurationsRead, Permissions.ProjectsRead);
        var clerk = await cp.UserAsync(null, null, (GrantScopes.Project, cp.ProjectId, "key-clerk"));
        using var client = cp.As(clerk);

        var (refused, problem, _) = await KeysApp.SendAsync(client, Post, ProjectKeys, new { name = "too much", scopes = new[] { "read", "admin" } });
        Assert.Equal(HttpStatusCode.Forbidden, refused);
        Assert.Equal("scopes[1]", problem!["field"]!.GetValue<string>());

        var (created, _, text) = await KeysApp.SendAsync(client, Post, ProjectKeys, new { name = "reader", scopes = new[] { "read" } });
        Assert.True(created == HttpStatusCode.Created, text);
    }

    [Fact]
    public async Task A_revoked_key_stays_listed_with_revoked_at_and_stops_working_on_the_control_plane()
    {
        using var owner = cp.As(cp.OwnerId);
        var (_, created, _) = await KeysApp.SendAsync(owner, Post, OrgKeys, new { name = "ops", permissions = new[] { Permissions.KeysRead } });
        var id = created!["id"]!.GetValue<string>();
        using var key = cp.Client(created["key"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.OK, (await KeysApp.SendAsync(key, Get, OrgKeys)).Status);

        var (revoked, view, _) = await KeysApp.SendAsync(owner, Delete, $"/v1/api_keys/{id}");
        Assert.Equal(HttpStatusCode.OK, revoked);
        Assert.NotNull(view!["revoked_at"]);

        Assert.Equal(HttpStatusCode.Unauthorized, (await KeysApp.SendAsync(key, Get, OrgKeys)).Status);
        var (_, list, _) = await KeysApp.SendAsync(owner, Get, OrgKeys);
        var listed = Assert.Single(list!.AsArray(), k => k!["id"]!.GetValue<string>() == id)!;
        Assert.NotNull(listed["revoked_at"]);
        // Revoking again changes nothing and answers the same.
        Assert.Equal(HttpStatusCode.OK, (await KeysApp.SendAsync(owner, Delete, $"/v1/api_keys/{id}")).Status);
    }

    [Fact]
    public async Task The_bootstrap_key_is_revocable_like_any_project_key_and_out_of_reach_keys_are_404()
    {
        var other = await cp.TenantAsync();
        var (otherKeyId, _) = await cp.ProjectKeyAsync(other.ProjectId, "read");
        var strangerOwner = await cp.UserAsync(BuiltInRoles.Owner, other.OrgId);
        var bootstrapId = await BootstrapKeyIdAsync();
        using var stranger = cp.As(strangerOwner);
        using var owner = cp.As(cp.OwnerId);

        Assert.Equal(HttpStatusCode.NotFound, (await KeysApp.SendAsync(stranger, Delete, $"/v1/api_keys/{bootstrapId}")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await KeysApp.SendAsync(owner, Delete, $"/v1/api_keys/{otherKeyId}")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await KeysApp.SendAsync(owner, Delete, $"/v1/api_keys/{Guid.NewGuid()}")).Status);

        var viewer = await cp.UserAsync(BuiltInRoles.Viewer);
        using var asViewer = cp.As(viewer);
        Assert.Equal(HttpStatusCode.Forbidden, (await KeysApp.SendAsync(asViewer, Delete, $"/v1/api_keys/{bootstrapId}")).Status);

        Assert.Equal(HttpStatusCode.OK, (await KeysApp.SendAsync(owner, Delete, $"/v1/api_keys/{bootstrapId}")).Status);
        // The bootstrap key worked on the legacy project route; revoked, it is refused there too.
        using var bootstrapKey = cp.Client(cp.BootstrapKey);
        Assert.Equal(HttpStatusCode.Unauthorized, (await KeysApp.SendAsync(bootstrapKey, Post, "/v1/projects", new { name = "after-revoke" })).Status);
    }

    [Fact]
    public async Task A_control_plane_key_is_hh_fgcp_with_a_90_day_default_expiry_and_works_on_the_control_plane()
    {
        using var owner = cp.As(cp.OwnerId);
        var (status, created, text) = await KeysApp.SendAsync(owner, Post, OrgKeys,
            new { name = "automation", permissions = new[] { Permissions.KeysRead, Permissions.KeysManage } });

        Assert.True(status == HttpStatusCode.Created, text);
        var key = created!["key"]!.GetValue<string>();
        Assert.StartsWith("hh_fgcp_", key, StringComparison.Ordinal);
        Assert.Equal("org", created["scope_type"]!.GetValue<string>());
        var expires = created["expires_at"]!.GetValue<DateTimeOffset>();
        Assert.InRange(expires - DateTimeOffset.UtcNow, TimeSpan.FromDays(89), TimeSpan.FromDays(91));

        using var asKey = cp.Client(key);
        var (listed, _, listText) = await KeysApp.SendAsync(asKey, Get, OrgKeys);
        Assert.Equal(HttpStatusCode.OK, listed);
        Assert.DoesNotContain(key, listText, StringComparison.Ordinal);
        Assert.Contains(key[..12] + "…", listText, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"name":"k","permissions":["keys:read","keys:everything"]}""", "permissions[1]")]
    [InlineData("""{"name":"k","permissions":[]}""", "permissions")]
    [InlineData("""{"name":"k","permissions":["keys:read"],"scope_type":"project"}""", "scope_type")]
    [InlineData("""{"name":"k","permissions":["keys:read"],"scope_type":"workspace"}""", "scope_id")]
    [InlineData("""{"name":"k","permissions":["keys:read"],"kind":"project"}""", "kind")]
    [InlineData("""{"name":"k","permissions":["keys:read"],"org_id":"00000000-0000-0000-0000-000000000001"}""", "org_id")]
    [InlineData("""{"name":"k","permissions":["keys:read"],"expires_at":"2999-01-01T00:00:00Z"}""", "expires_at")]
    public async Task A_bad_control_plane_key_request_is_a_400_naming_the_field(string body, string field)
    {
        using var owner = cp.As(cp.OwnerId);
        var (status, problem, text) = await KeysApp.SendAsync(owner, Post, OrgKeys, body);

        Assert.True(status == HttpStatusCode.BadRequest, text);
        Assert.Equal(field, problem!["field"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_control_plane_key_cannot_mint_a_key_with_more_permissions_or_a_longer_life_than_its_own()
    {
        var (_, key) = await cp.ControlPlaneKeyAsync([Permissions.KeysManage, Permissions.KeysRead], expiresAt: DateTimeOffset.UtcNow.AddDays(10));
        using var asKey = cp.Client(key);

        var (escalated, problem, _) = await KeysApp.SendAsync(asKey, Post, OrgKeys, new { name = "wider", permissions = new[] { Permissions.KeysRead, Permissions.MembersManage } });
        Assert.Equal(HttpStatusCode.Forbidden, escalated);
        Assert.Equal("permissions[1]", problem!["field"]!.GetValue<string>());

        var (longer, problem2, _) = await KeysApp.SendAsync(asKey, Post, OrgKeys,
            new { name = "longer", permissions = new[] { Permissions.KeysRead }, expires_at = DateTimeOffset.UtcNow.AddDays(30) });
        Assert.Equal(HttpStatusCode.BadRequest, longer);
        Assert.Equal("expires_at", problem2!["field"]!.GetValue<string>());

        var (created, child, text) = await KeysApp.SendAsync(asKey, Post, OrgKeys, new { name = "narrower", permissions = new[] { Permissions.KeysRead } });
        Assert.True(created == HttpStatusCode.Created, text);
        Assert.True(child!["expires_at"]!.GetValue<DateTimeOffset>() <= DateTimeOffset.UtcNow.AddDays(10));
    }

    [Fact]
    public async Task A_workspace_admin_mints_keys_for_that_workspace_only()
    {
        var elsewhere = await cp.TenantAsync(cp.OrgId);
        var admin = await cp.UserAsync(null, null, (GrantScopes.Workspace, cp.WorkspaceId, BuiltInRoles.Admin));
        using var client = cp.As(admin);

        var (own, created, text) = await KeysApp.SendAsync(client, Post, OrgKeys,
            new { name = "ws", permissions = new[] { Permissions.ProjectsManage }, scope_type = "workspace", scope_id = cp.WorkspaceId });
        Assert.True(own == HttpStatusCode.Created, text);
        Assert.Equal("workspace", created!["scope_type"]!.GetValue<string>());

        Assert.Equal(HttpStatusCode.NotFound, (await KeysApp.SendAsync(client, Post, OrgKeys,
            new { name = "ws", permissions = new[] { Permissions.ProjectsManage }, scope_type = "workspace", scope_id = elsewhere.WorkspaceId })).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await KeysApp.SendAsync(client, Post, OrgKeys, new { name = "org", permissions = new[] { Permissions.KeysRead } })).Status);

        // Its list holds the keys of its workspace, not the org's.
        var (_, list, _) = await KeysApp.SendAsync(client, Get, OrgKeys);
        Assert.All(list!.AsArray(), k => Assert.Equal(cp.WorkspaceId.ToString(), k!["scope_id"]!.GetValue<string>()));
        Assert.Contains(list.AsArray(), k => k!["id"]!.GetValue<string>() == created["id"]!.GetValue<string>());
    }

    [Fact]
    public async Task Expired_and_other_org_control_plane_keys_are_refused()
    {
        var (_, expired) = await cp.ControlPlaneKeyAsync([Permissions.KeysRead], expiresAt: DateTimeOffset.UtcNow.AddMinutes(-1));
        var other = await cp.TenantAsync();
        var (_, foreign) = await cp.ControlPlaneKeyAsync([Permissions.KeysRead, Permissions.KeysManage], other.OrgId);
        using var asExpired = cp.Client(expired);
        using var asForeign = cp.Client(foreign);

        Assert.Equal(HttpStatusCode.Unauthorized, (await KeysApp.SendAsync(asExpired, Get, OrgKeys)).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await KeysApp.SendAsync(asForeign, Get, OrgKeys)).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await KeysApp.SendAsync(asForeign, Get, ProjectKeys)).Status);
    }

    [Fact]
    public async Task Project_keys_are_refused_by_the_key_routes_and_accepted_only_by_the_legacy_project_routes()
    {
        var (_, key) = await cp.ProjectKeyAsync(cp.ProjectId, "ingest", "read", "write", "admin");
        using var projectKey = cp.Client(key);

        foreach (var (method, url) in new[] { (Get, ProjectKeys), (Post, ProjectKeys), (Get, OrgKeys), (Post, OrgKeys), (Delete, $"/v1/api_keys/{Guid.NewGuid()}") })
        {
            var (status, _, text) = await KeysApp.SendAsync(projectKey, method, url, method == Post ? new { name = "x", scopes = new[] { "read" } } : null);
            Assert.True(status == HttpStatusCode.Unauthorized, $"{method} {url}: {(int)status} {text}");
        }

        var (legacy, _, legacyText) = await KeysApp.SendAsync(projectKey, Post, "/v1/projects", new { name = "made-by-a-project-key-" + Guid.NewGuid().ToString("N")[..6] });
        Assert.True(legacy == HttpStatusCode.OK, legacyText);
    }

    [Fact]
    public async Task Creating_and_revoking_a_key_are_audited_with_its_public_view_and_no_secret()
    {
        using var owner = cp.As(cp.OwnerId);
        var (_, created, _) = await KeysApp.SendAsync(owner, Post, ProjectKeys, new { name = "audited", scopes = new[] { "ingest" } });
        var id = created!["id"]!.GetValue<string>();
        var key = created["key"]!.GetValue<string>();
        await KeysApp.SendAsync(owner, Delete, $"/v1/api_keys/{id}");

        await using var connection = await cp.Cpdb.OpenConnectionAsync();
        var rows = (await connection.QueryAsync<(string Action, string ActorType, string ActorId, Guid OrgId, string? Before, string? After)>(
            "SELECT action, actor_type, actor_id, org_id, before::text, after::text FROM audit_log WHERE target_id = @id ORDER BY id", new { id })).ToList();

        Assert.Equal(new[] { "api_key.created", "api_key.revoked" }, rows.Select(r => r.Action));
        Assert.All(rows, r => Assert.Equal(("user", cp.OwnerId.ToString(), cp.OrgId), (r.ActorType, r.ActorId, r.OrgId)));
        Assert.Null(rows[0].Before);
        Assert.Contains(key[..8], rows[0].After, StringComparison.Ordinal);
        Assert.Contains("revoked_at", rows[1].After, StringComparison.Ordinal);
        var hash = ApiKeys.Hash(key);
        foreach (var text in rows.SelectMany(r => new[] { r.Before, r.After }).OfType<string>())
        {
            Assert.DoesNotContain(key, text, StringComparison.Ordinal);
            Assert.DoesNotContain(Convert.ToHexString(hash), text, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain(Convert.ToBase64String(hash), text, StringComparison.Ordinal);
            Assert.DoesNotContain("hash", text, StringComparison.OrdinalIgnoreCase);
        }
    }

    [Fact]
    public async Task Keys_created_through_the_routes_are_stored_only_as_their_hash_nowhere_in_clear_in_cpdb()
    {
        using var owner = cp.As(cp.OwnerId);
        var (_, project, _) = await KeysApp.SendAsync(owner, Post, ProjectKeys, new { name = "stored", scopes = new[] { "read" } });
        var (_, controlPlane, _) = await KeysApp.SendAsync(owner, Post, OrgKeys, new { name = "stored", permissions = new[] { Permissions.KeysRead } });

        await using var connection = await cp.Cpdb.OpenConnectionAsync();
        var tables = (await connection.QueryAsync<string>(
            "SELECT quote_ident(table_name) FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'")).ToList();
        Assert.Contains("api_keys", tables);
        foreach (var created in new[] { project!, controlPlane! })
        {
            var key = created["key"]!.GetValue<string>();
            var row = await connection.QuerySingleAsync<(byte[] Hash, string Prefix)>(
                "SELECT key_hash, key_prefix FROM api_keys WHERE id = @id", new { id = Guid.Parse(created["id"]!.GetValue<string>()) });
            Assert.Equal(ApiKeys.Hash(key), row.Hash);
            // The prefix kept for display is the start of the key and leaves the rest of it secret: 32 base64url characters or more, 192 bits.
            Assert.StartsWith(row.Prefix, key, StringComparison.Ordinal);
            var secret = key[row.Prefix.Length..];
            Assert.True(secret.Length >= 32, $"Only {secret.Length} characters of the key are not stored in clear.");

            // Every row of every table as text (bytea as hex): neither the key's secret part nor its bytes appear anywhere.
            var hex = Convert.ToHexString(System.Text.Encoding.UTF8.GetBytes(secret)).ToLowerInvariant();
            foreach (var table in tables)
            {
                var found = await connection.ExecuteScalarAsync<long>(
                    $"SELECT count(*) FROM {table} t WHERE strpos(row_to_json(t)::text, @secret) > 0 OR strpos(lower(row_to_json(t)::text), @hex) > 0", new { secret, hex });
                Assert.True(found == 0, $"{table} holds the key {row.Prefix}… in clear in {found} row(s).");
            }
        }
    }

    [Fact]
    public async Task A_control_plane_keys_last_used_at_is_stamped_when_it_is_used_and_moved_at_most_once_a_minute()
    {
        using var owner = cp.As(cp.OwnerId);
        var (_, created, _) = await KeysApp.SendAsync(owner, Post, OrgKeys, new { name = "used", permissions = new[] { Permissions.KeysRead } });
        var id = Guid.Parse(created!["id"]!.GetValue<string>());
        using var asKey = cp.Client(created["key"]!.GetValue<string>());
        await using var connection = await cp.Cpdb.OpenConnectionAsync();
        Task<DateTime?> LastUsedAsync() => connection.ExecuteScalarAsync<DateTime?>("SELECT last_used_at FROM api_keys WHERE id = @id", new { id });
        Assert.Null(await LastUsedAsync());

        var before = DateTime.UtcNow;
        Assert.Equal(HttpStatusCode.OK, (await KeysApp.SendAsync(asKey, Get, OrgKeys)).Status);
        var stamped = await LastUsedAsync() ?? throw new Xunit.Sdk.XunitException("The key's use left last_used_at empty.");
        Assert.InRange(stamped, before.AddSeconds(-1), DateTime.UtcNow.AddSeconds(1));
        var (_, list, _) = await KeysApp.SendAsync(owner, Get, OrgKeys);
        var listed = list!.AsArray().Single(k => k!["id"]!.GetValue<string>() == id.ToString())!;
        Assert.Equal(new DateTimeOffset(DateTime.SpecifyKind(stamped, DateTimeKind.Utc)), listed["last_used_at"]!.GetValue<DateTimeOffset>());

        // A use within the minute after the stamp leaves it; one after the minute moves it (the stamp is moved back to stand for time passing).
        var recent = DateTime.SpecifyKind(stamped.AddSeconds(-30), DateTimeKind.Utc);
        await connection.ExecuteAsync("UPDATE api_keys SET last_used_at = @recent WHERE id = @id", new { id, recent });
        await KeysApp.SendAsync(asKey, Get, OrgKeys);
        Assert.Equal(recent, await LastUsedAsync());
        var old = DateTime.SpecifyKind(stamped.AddMinutes(-5), DateTimeKind.Utc);
        await connection.ExecuteAsync("UPDATE api_keys SET last_used_at = @old WHERE id = @id", new { id, old });
        await KeysApp.SendAsync(asKey, Get, OrgKeys);
        Assert.True(await LastUsedAsync() > old.AddMinutes(4), "A use more than a minute after the last stamp did not move last_used_at.");
    }

    [Fact]
    public async Task Every_key_route_refuses_a_caller_without_credentials_or_with_a_malformed_bearer()
    {
        using var anonymous = cp.Client(null);
        using var garbage = cp.Client("not-a-key");
        using var forged = cp.Client(cp.Tokens.Mint(cp.OwnerId, [], d => d.Audience = "someone-else"));
        var routes = new[] { (Get, ProjectKeys), (Post, ProjectKeys), (Get, OrgKeys), (Post, OrgKeys), (Delete, $"/v1/api_keys/{Guid.NewGuid()}") };

        foreach (var client in new[] { anonymous, garbage, forged })
        {
            foreach (var (method, url) in routes)
            {
                var (status, _, text) = await KeysApp.SendAsync(client, method, url, method == Post ? new { name = "x", scopes = new[] { "read" } } : null);
                Assert.True(status == HttpStatusCode.Unauthorized, $"{method} {url}: {(int)status} {text}");
            }
        }
    }

    [Fact]
    public async Task A_project_key_with_an_expiry_and_repeated_scopes_is_stored_once_per_scope_and_listed_with_its_expiry()
    {
        using var owner = cp.As(cp.OwnerId);
        var expires = DateTimeOffset.UtcNow.AddDays(30);
        var (status, created, text) = await KeysApp.SendAsync(owner, Post, ProjectKeys,
            new { name = "  padded  ", scopes = new[] { "read", "read", "ingest" }, expires_at = expires });

        Assert.True(status == HttpStatusCode.Created, text);
        Assert.Equal("padded", created!["name"]!.GetValue<string>());
        Assert.Equal(new[] { "read", "ingest" }, created["scopes"]!.AsArray().Select(s => s!.GetValue<string>()));
        var (_, list, _) = await KeysApp.SendAsync(owner, Get, ProjectKeys);
        var listed = Assert.Single(list!.AsArray(), k => k!["id"]!.GetValue<string>() == created["id"]!.GetValue<string>())!;
        Assert.Equal(expires.ToUnixTimeSeconds(), listed["expires_at"]!.GetValue<DateTimeOffset>().ToUnixTimeSeconds());
        Assert.Null(listed["revoked_at"]);
    }

    [Fact]
    public async Task Project_and_control_plane_key_lists_hold_only_their_own_kind()
    {
        using var owner = cp.As(cp.OwnerId);
        var (_, cpKey, _) = await KeysApp.SendAsync(owner, Post, OrgKeys, new { name = "kind-cp", permissions = new[] { Permissions.KeysRead } });
        var (_, projectKey, _) = await KeysApp.SendAsync(owner, Post, ProjectKeys, new { name = "kind-project", scopes = new[] { "read" } });

        var (_, projects, _) = await KeysApp.SendAsync(owner, Get, ProjectKeys);
        var (_, orgs, _) = await KeysApp.SendAsync(owner, Get, OrgKeys);

        var projectIds = projects!.AsArray().Select(k => k!["id"]!.GetValue<string>()).ToList();
        var orgIds = orgs!.AsArray().Select(k => k!["id"]!.GetValue<string>()).ToList();
        Assert.Contains(projectKey!["id"]!.GetValue<string>(), projectIds);
        Assert.DoesNotContain(cpKey!["id"]!.GetValue<string>(), projectIds);
        Assert.Contains(cpKey["id"]!.GetValue<string>(), orgIds);
        Assert.DoesNotContain(projectKey["id"]!.GetValue<string>(), orgIds);
    }

    [Fact]
    public async Task Malformed_ids_in_the_path_are_404s_naming_the_parameter()
    {
        using var owner = cp.As(cp.OwnerId);
        foreach (var (method, url, field) in new[]
        {
            (Delete, "/v1/api_keys/123", "key_id"),
            (Get, "/v1/orgs/abc/api_keys", "org_id"),
            (Post, "/v1/projects/..%2Fetc/api_keys", "project_id"),
        })
        {
            var (status, problem, text) = await KeysApp.SendAsync(owner, method, url, method == Post ? new { name = "x", scopes = new[] { "read" } } : null);
            Assert.True(status == HttpStatusCode.NotFound, $"{method} {url}: {(int)status} {text}");
            Assert.Equal(field, problem!["field"]!.GetValue<string>());
        }
    }

    private async Task<Guid> BootstrapKeyIdAsync()
    {
        await using var connection = await cp.Cpdb.OpenConnectionAsync();
        return await connection.ExecuteScalarAsync<Guid>("SELECT id FROM api_keys WHERE name = 'bootstrap'");
    }
}
