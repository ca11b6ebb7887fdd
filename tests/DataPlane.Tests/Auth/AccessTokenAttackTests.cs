using System.Net;
using System.Net.Http.Headers;
using System.Security.Claims;
using System.Text;
using System.Text.Json.Nodes;
using HoneyHive.ServiceDefaults.Auth;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.Tokens;

namespace HoneyHive.DataPlane.Tests.Auth;

/// <summary>
/// Access tokens on the data plane, through the production scheme over a migrated dpdb and a JWKS served by a real
/// local HTTP server: every forged, broken or misdirected token is a 401 problem (never a 500, never data), the
/// JWKS is only fetched for well-formed kids, and a key rotated out of the JWKS stops working (cached tokens too).
/// </summary>
public sealed class AccessTokenAttackTests : IAsyncLifetime
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(30);
    private static readonly ApiKeyIdentity A = new(Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid(), "attack-a", []);
    private static readonly ApiKeyIdentity B = new(Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid(), "attack-b", []);
    private readonly TestTokens signer = new(keyId: "signer-key-0001");
    private readonly TestTokens stranger = new(keyId: "stranger-key-01");
    private readonly ManualClock clock = new();
    private readonly Guid user = Guid.NewGuid();
    private FreshDpdb database = null!;
    private JwksServer jwks = null!;
    private WebApplication app = null!;

    public async Task InitializeAsync()
    {
        database = await FreshDpdb.CreateAsync("hh_test_tokens_", [A, B]);
        jwks = await JwksServer.StartAsync(signer);
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Development" });
        builder.WebHost.UseTestServer();
        builder.Logging.ClearProviders();
        builder.Configuration["ConnectionStrings:dpdb"] = database.ConnectionString;
        builder.Configuration["Auth:Tokens:JwksUrl"] = jwks.Url.ToString();
        builder.Configuration["Auth:Tokens:JwksMinimumRefreshInterval"] = Interval.ToString();
        builder.Services.AddSingleton<TimeProvider>(clock);
        builder.Services.AddProblemDetails();
        builder.AddDataPlaneAuthentication();
        app = builder.Build();
        var group = app.MapGroup("").RequireDeclaredPermissions();
        group.MapGet("/read", (ClaimsPrincipal caller) => TypedResults.Ok(new
        {
            project_id = caller.ProjectId(),
            workspace_id = caller.WorkspaceId(),
            org_id = caller.FindFirstValue(ApiKeyIdentity.OrgIdClaim),
            project_name = caller.FindFirstValue(ApiKeyIdentity.ProjectNameClaim),
            permissions = caller.FindAll(PermissionClaims.Type).Select(c => c.Value).Order(StringComparer.Ordinal).ToArray(),
        })).RequirePermission(Permissions.EventsRead);
        group.MapDelete("/write", () => TypedResults.Ok("written")).RequirePermission(Permissions.EventsWrite);
        await app.StartAsync();
    }

    private string Valid(Action<SecurityTokenDescriptor>? adjust = null) =>
        signer.Mint(user, [new Grant(GrantScopes.Project, A.ProjectId, [Permissions.EventsRead])], adjust);

    public static TheoryData<string> Attacks() =>
    [
        "alg none", "HS256 keyed with the public key", "unknown kid", "path kid", "url kid", "expired", "not yet valid",
        "wrong aud", "wrong iss", "tampered grants", "typ JWT", "no typ", "garbage signature", "grants not a list", "no sub",
    ];

    [Theory]
    [MemberData(nameof(Attacks))]
    public async Task A_forged_or_broken_token_is_a_401_problem_and_reads_nothing(string attack)
    {
        var token = Forge(attack);

        var (status, problem, text) = await SendAsync(HttpMethod.Get, "/read", token);

        Assert.True(status == HttpStatusCode.Unauthorized, $"{attack}: {(int)status} {text}");
        Assert.Equal(401, problem?["status"]?.GetValue<int>());
        Assert.DoesNotContain(A.ProjectId.ToString(), text, StringComparison.Ordinal);
        Assert.DoesNotContain(token, text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("../../etc/passwd")]
    [InlineData("http://attacker.example/jwks")]
    [InlineData("a")]
    public async Task A_kid_that_is_not_a_key_id_is_refused_without_fetching_the_JWKS(string kid)
    {
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(HttpMethod.Get, "/read", Valid())).Status);
        clock.Advance(Interval);
        var before = jwks.Requests;
        using var odd = new TestTokens(keyId: kid);

        var (status, _, _) = await SendAsync(HttpMethod.Get, "/read", odd.Mint(user, [new Grant(GrantScopes.Project, A.ProjectId, [Permissions.EventsRead])]));

        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Equal(before, jwks.Requests);
    }

    [Theory]
    [InlineData("access_token")]
    [InlineData("token")]
    public async Task A_token_in_the_query_string_is_not_accepted(string parameter)
    {
        var (status, problem, _) = await SendAsync(HttpMethod.Get, $"/read?{parameter}={Uri.EscapeDataString(Valid())}", token: null);

        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Equal(401, problem?["status"]?.GetValue<int>());
    }

    [Fact]
    public async Task A_token_of_a_key_rotated_out_of_the_JWKS_is_refused_after_the_refresh_interval_even_if_cached()
    {
        var old = Valid();
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(HttpMethod.Get, "/read", old)).Status);

        using var successor = new TestTokens(keyId: "successor-key-01");
        jwks.Serve(successor);
        clock.Advance(Interval);
        // The successor's first token names a kid the DP does not know: that refreshes the set.
        var fresh = successor.Mint(user, [new Grant(GrantScopes.Project, A.ProjectId, [Permissions.EventsRead])]);
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(HttpMethod.Get, "/read", fresh)).Status);

        var (status, problem, _) = await SendAsync(HttpMethod.Get, "/read", old);
        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Equal(401, problem?["status"]?.GetValue<int>());
    }

    [Fact]
    public async Task A_tampered_copy_of_a_token_already_accepted_and_cached_is_still_refused()
    {
        var token = Valid();
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(HttpMethod.Get, "/read", token)).Status);
        var parts = token.Split('.');
        var payload = JsonNode.Parse(Base64UrlEncoder.Decode(parts[1]))!;
        payload[GrantRules.Claim] = JsonNode.Parse(GrantRules.Serialize([new Grant(GrantScopes.Org, B.OrgId, Permissions.All)]));
        var tampered = $"{parts[0]}.{Base64UrlEncoder.Encode(payload.ToJsonString())}.{parts[2]}";

        Assert.Equal(HttpStatusCode.Unauthorized, (await SendAsync(HttpMethod.Get, "/read", tampered, B.ProjectId.ToString())).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await SendAsync(HttpMethod.Get, "/read", tampered)).Status);
        // The genuine one still works: a refusal is not remembered against it.
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(HttpMethod.Get, "/read", token)).Status);
    }

    [Theory]
    [InlineData("Bearer ")]
    [InlineData("Bearer eyJ.eyJ.")]
    [InlineData("Basic dXNlcjpwYXNz")]
    [InlineData("Bearer eyJhbGciOiJFUzI1NiJ9.not-base64!.sig")]
    public async Task A_malformed_Authorization_header_is_a_401_problem(string header)
    {
        using var client = app.GetTestClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri("/read", UriKind.Relative));
        request.Headers.TryAddWithoutValidation("Authorization", header);
        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task A_token_longer_than_the_limit_is_refused_without_being_parsed()
    {
        var huge = Valid(d => d.Claims["padding"] = new string('x', BearerToken.MaxTokenLength));

        var (status, problem, _) = await SendAsync(HttpMethod.Get, "/read", huge);

        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Contains("too long", problem!["detail"]?.GetValue<string>() ?? "", StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_valid_token_selects_its_only_project_with_the_same_tenant_claims_as_a_key_of_it()
    {
        var (status, body, text) = await SendAsync(HttpMethod.Get, "/read", Valid());

        Assert.True(status == HttpStatusCode.OK, text);
        Assert.Equal(A.ProjectId.ToString(), body!["project_id"]!.GetValue<string>());
        // Where the project sits comes from dpdb, not from the token.
        Assert.Equal(A.WorkspaceId.ToString(), body["workspace_id"]!.GetValue<string>());
        Assert.Equal(A.OrgId.ToString(), body["org_id"]!.GetValue<string>());
        Assert.Equal(A.ProjectName, body["project_name"]!.GetValue<string>());
        Assert.Equal(new[] { Permissions.EventsRead }, body["permissions"]!.AsArray().Select(p => p!.GetValue<string>()));
    }

    [Fact]
    public async Task Naming_a_project_the_grants_do_not_reach_is_the_same_404_as_naming_one_that_does_not_exist()
    {
        var token = Valid();

        var other = await SendAsync(HttpMethod.Get, "/read", token, B.ProjectId.ToString());
        var missing = await SendAsync(HttpMethod.Get, "/read", token, Guid.NewGuid().ToString());

        Assert.Equal(HttpStatusCode.NotFound, other.Status);
        Assert.Equal(HttpStatusCode.NotFound, missing.Status);
        Assert.Equal("Project not found", other.Problem!["title"]!.GetValue<string>());
        Assert.Equal(DataPlaneAuthenticator.ProjectHeader, other.Problem["field"]!.GetValue<string>());
        // Identical but for the trace id, which differs per request.
        other.Problem.AsObject().Remove("traceId");
        missing.Problem!.AsObject().Remove("traceId");
        Assert.True(JsonNode.DeepEquals(other.Problem, missing.Problem), $"{other.Text}\n{missing.Text}");
        Assert.DoesNotContain(B.ProjectId.ToString(), other.Text, StringComparison.Ordinal);
        // Writes are refused the same way, before any route runs.
        Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(HttpMethod.Delete, "/write", token, B.ProjectId.ToString())).Status);
    }

    [Fact]
    public async Task A_token_reaching_several_projects_must_name_one_and_then_works_in_the_one_named()
    {
        var token = signer.Mint(user,
        [
            new Grant(GrantScopes.Project, A.ProjectId, [Permissions.EventsRead]),
            new Grant(GrantScopes.Workspace, B.WorkspaceId, [Permissions.EventsRead, Permissions.EventsWrite]),
        ]);

        var (status, problem, _) = await SendAsync(HttpMethod.Get, "/read", token);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal(DataPlaneAuthenticator.ProjectHeader, problem!["field"]!.GetValue<string>());

        var (inB, body, text) = await SendAsync(HttpMethod.Get, "/read", token, B.ProjectId.ToString());
        Assert.True(inB == HttpStatusCode.OK, text);
        Assert.Equal(B.ProjectId.ToString(), body!["project_id"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(HttpMethod.Delete, "/write", token, B.ProjectId.ToString())).Status);
        // The workspace grant does not carry over to A, where the token may only read.
        Assert.Equal(HttpStatusCode.Forbidden, (await SendAsync(HttpMethod.Delete, "/write", token, A.ProjectId.ToString())).Status);
    }

    [Fact]
    public async Task An_org_grant_reaches_the_projects_of_that_org_only()
    {
        var token = signer.Mint(user, [new Grant(GrantScopes.Org, A.OrgId, [Permissions.EventsRead])]);

        Assert.Equal(HttpStatusCode.OK, (await SendAsync(HttpMethod.Get, "/read", token)).Status);
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(HttpMethod.Get, "/read", token, A.ProjectId.ToString())).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(HttpMethod.Get, "/read", token, B.ProjectId.ToString())).Status);
    }

    [Fact]
    public async Task A_token_without_the_routes_permission_is_a_403_naming_the_permission_and_no_key_scope()
    {
        var (status, problem, _) = await SendAsync(HttpMethod.Delete, "/write", Valid());

        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Equal(Permissions.EventsWrite, problem!["required_permission"]!.GetValue<string>());
        Assert.Null(problem["required_scope"]);
    }

    [Fact]
    public async Task A_token_whose_grants_reach_no_project_is_404()
    {
        var token = signer.Mint(user, [new Grant(GrantScopes.Project, Guid.NewGuid(), [Permissions.EventsRead])]);

        Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(HttpMethod.Get, "/read", token)).Status);
    }

    [Theory]
    [InlineData("not-a-uuid")]
    [InlineData("../projects")]
    public async Task A_malformed_project_header_is_a_400_naming_it(string header)
    {
        var (status, problem, _) = await SendAsync(HttpMethod.Get, "/read", Valid(), header);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal(DataPlaneAuthenticator.ProjectHeader, problem!["field"]!.GetValue<string>());
    }

    private string Forge(string attack)
    {
        var grants = new[] { new Grant(GrantScopes.Project, A.ProjectId, [Permissions.EventsRead]) };
        var now = DateTime.UtcNow;
        switch (attack)
        {
            case "alg none":
            {
                var parts = Valid().Split('.');
                var header = Base64UrlEncoder.Encode($$"""{"alg":"none","typ":"at+jwt","kid":"{{signer.KeyId}}"}""");
                return $"{header}.{parts[1]}.";
            }
            case "HS256 keyed with the public key":
            {
                // The classic confusion: the public key's bytes (as published) used as an HMAC secret.
                var jwk = signer.PublicJwk;
                var secret = new SymmetricSecurityKey(Encoding.UTF8.GetBytes(System.Text.Json.JsonSerializer.Serialize(new { jwk.Kty, jwk.Crv, jwk.X, jwk.Y })))
                    { KeyId = signer.KeyId };
                return signer.Mint(user, grants, d => d.SigningCredentials = new SigningCredentials(secret, SecurityAlgorithms.HmacSha256));
            }
            case "unknown kid": return stranger.Mint(user, grants);
            case "path kid": return Rekid("../../etc/passwd");
            case "url kid": return Rekid("http://attacker.example/jwks.json");
            case "expired": return Valid(d => (d.IssuedAt, d.NotBefore, d.Expires) = (now.AddHours(-2), now.AddHours(-2), now.AddHours(-1)));
            case "not yet valid": return Valid(d => (d.NotBefore, d.Expires) = (now.AddHours(1), now.AddHours(2)));
            case "wrong aud": return Valid(d => d.Audience = "some-other-api");
            case "wrong iss": return Valid(d => d.Issuer = "https://attacker.example");
            case "tampered grants":
            {
                var parts = Valid().Split('.');
                var payload = JsonNode.Parse(Base64UrlEncoder.Decode(parts[1]))!;
                payload[GrantRules.Claim] = JsonNode.Parse(GrantRules.Serialize([new Grant(GrantScopes.Org, B.OrgId, Permissions.All)]));
                return $"{parts[0]}.{Base64UrlEncoder.Encode(payload.ToJsonString())}.{parts[2]}";
            }
            case "typ JWT": return Valid(d => d.TokenType = "JWT");
            case "no typ": return Valid(d => d.TokenType = null);
            case "garbage signature":
            {
                var parts = Valid().Split('.');
                return $"{parts[0]}.{parts[1]}.{Base64UrlEncoder.Encode(new byte[64])}";
            }
            case "grants not a list": return Valid(d => d.Claims[GrantRules.Claim] = "org:*");
            case "no sub": return Valid(d => d.Claims.Remove(AccessTokenClaims.Subject));
            default: throw new ArgumentException(attack, nameof(attack));
        }
    }

    // A real signature by the trusted key, under a header whose kid is a path or URL.
    private string Rekid(string kid)
    {
        using var renamed = new TestTokens(keyId: kid);
        return renamed.Mint(user, [new Grant(GrantScopes.Project, A.ProjectId, [Permissions.EventsRead])],
            d => d.SigningCredentials = new SigningCredentials(new ECDsaSecurityKey(signer.Key.ECDsa) { KeyId = kid }, AccessTokenClaims.Algorithm));
    }

    private async Task<(HttpStatusCode Status, JsonNode? Problem, string Text)> SendAsync(HttpMethod method, string path, string? token, string? project = null)
    {
        using var client = app.GetTestClient();
        using var request = new HttpRequestMessage(method, new Uri(path, UriKind.Relative));
        if (token is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        if (project is not null) request.Headers.Add(DataPlaneAuthenticator.ProjectHeader, project);
        using var response = await client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        JsonNode? json = null;
        if (text.StartsWith('{')) json = JsonNode.Parse(text);
        return (response.StatusCode, json, text);
    }

    public async Task DisposeAsync()
    {
        await app.DisposeAsync();
        await jwks.DisposeAsync();
        await database.DisposeAsync();
        signer.Dispose();
        stranger.Dispose();
    }
}
