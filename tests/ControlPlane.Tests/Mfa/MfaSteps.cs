using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Dapper;
using HoneyHive.ControlPlane.Api.Mfa;
using HoneyHive.ServiceDefaults.Auth;

namespace HoneyHive.ControlPlane.Tests.Mfa;

/// <summary>An authenticator set up through the routes: its secret (as an app would hold it) and the recovery codes shown once.</summary>
public sealed record Authenticator(string Secret, IReadOnlyList<string> RecoveryCodes);

/// <summary>The steps of the MFA and SSO tests, through the CP's routes as a client takes them.</summary>
public static class MfaSteps
{
    /// <summary>The code an authenticator app shows now, by the app's clock (<paramref name="offset"/> steps from now).</summary>
    public static string Code(this ControlPlaneApp cp, string secret, int offset = 0) =>
        TotpCodes.CodeAt(secret, cp.Clock.GetUtcNow() + TimeSpan.FromSeconds(TotpCodes.StepSeconds * offset));

    /// <summary>Moves the clock to the next time step, so the authenticator shows a code not used yet.</summary>
    public static void NextStep(this ControlPlaneApp cp) => cp.Clock.Advance(TimeSpan.FromSeconds(TotpCodes.StepSeconds));

    /// <summary>Sets up TOTP for a signed-in user (start, then confirm with the first code) and moves past the step it used.</summary>
    public static async Task<Authenticator> EnrolAsync(this ControlPlaneApp cp, SignedIn signedIn)
    {
        using var client = cp.Client(bearer: signedIn.AccessToken);
        var started = await Ok(await client.PostAsync("/v1/auth/mfa/totp", null));
        var secret = started["secret"]!.GetValue<string>();
        var confirmed = await Ok(await client.PostAsJsonAsync("/v1/auth/mfa/totp/confirm", new { code = cp.Code(secret) }));
        cp.NextStep();
        return new Authenticator(secret, [.. confirmed["recovery_codes"]!.AsArray().Select(c => c!.GetValue<string>())]);
    }

    /// <summary>A password sign-in that must answer a challenge of <paramref name="kind"/>; its token.</summary>
    public static async Task<string> ChallengeAsync(this ControlPlaneApp cp, string email, string password, string kind = ChallengeKinds.Mfa)
    {
        using var client = cp.Client();
        using var response = await client.PostAsJsonAsync("/v1/auth/login", new { email, password });
        var body = await Ok(response);
        Assert.Equal(kind, body["challenge"]!.GetValue<string>());
        Assert.Null(body["access_token"]);
        Assert.Null(ControlPlaneApp.RefreshCookie(response));
        return body["challenge_token"]!.GetValue<string>();
    }

    public static Task<HttpResponseMessage> FinishAsync(this ControlPlaneApp cp, string challenge, string? code = null, string? recoveryCode = null)
    {
        var client = cp.Client();
        return client.PostAsJsonAsync("/v1/auth/login/mfa", recoveryCode is null ? new { challenge_token = challenge, code } : (object)new { challenge_token = challenge, recovery_code = recoveryCode });
    }

    /// <summary>The body of a 200 answer (the test fails with the body otherwise).</summary>
    public static async Task<JsonObject> Ok(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"Expected 200, got {(int)response.StatusCode}: {text}");
        return JsonNode.Parse(text)!.AsObject();
    }

    /// <summary>The problem answer of <paramref name="response"/>, checked to have <paramref name="status"/>; its detail.</summary>
    public static async Task<string> ProblemAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"Expected {(int)status}, got {(int)response.StatusCode}: {text}");
        return JsonNode.Parse(text)!["detail"]?.GetValue<string>() ?? "";
    }

    /// <summary>A new org named <paramref name="name"/> with a data plane, workspace and project; its id and its project's.</summary>
    public static async Task<(Guid Org, Guid Project)> CreateOrgAsync(this ControlPlaneApp cp, string name)
    {
        var (org, dataplane, workspace, project) = (Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid());
        await using var connection = await cp.Database.OpenConnectionAsync();
        await connection.ExecuteAsync(
            """
            INSERT INTO orgs (id, name) VALUES (@org, @name);
            INSERT INTO virtual_dataplanes (id, org_id, name, slug) VALUES (@dataplane, @org, 'main', @dpSlug);
            INSERT INTO workspaces (id, org_id, virtual_dataplane_id, name, slug) VALUES (@workspace, @org, @dataplane, 'team', @wsSlug);
            INSERT INTO projects (id, workspace_id, name) VALUES (@project, @workspace, 'app');
            """, new { org, name, dataplane, workspace, project, dpSlug = "dp_" + dataplane.ToString("N"), wsSlug = "ws_" + workspace.ToString("N") });
        return (org, project);
    }

    /// <summary>An enabled OIDC connection of <paramref name="org"/>, as an org has one before it may require SSO (written directly: these tests sign in by password).</summary>
    public static async Task AddSsoConnectionAsync(this ControlPlaneApp cp, Guid org)
    {
        await using var connection = await cp.Database.OpenConnectionAsync();
        await connection.ExecuteAsync(
            "INSERT INTO sso_connections (id, org_id, protocol, name, default_role, config) VALUES (@id, @org, 'oidc', 'Test IdP', 'member', '{}')",
            new { id = Guid.NewGuid(), org });
    }

    /// <summary>Sets the org's sign-in policy through PUT /v1/orgs/{org_id}/security as <paramref name="admin"/>; fails the test unless it is 200.</summary>
    public static async Task SetSecurityAsync(this ControlPlaneApp cp, SignedIn admin, Guid org, object settings)
    {
        using var client = cp.Client(bearer: admin.AccessToken);
        using var response = await client.PutAsJsonAsync($"/v1/orgs/{org}/security", settings);
        await Ok(response);
    }

    /// <summary>An owner of <paramref name="org"/> signed in by password (no MFA, no policy yet).</summary>
    public static async Task<(TestUser User, SignedIn Session)> OwnerAsync(this ControlPlaneApp cp, Guid org)
    {
        var owner = await cp.CreateUserAsync(BuiltInRoles.Owner, org);
        return (owner, await cp.LoginAsync(owner));
    }

    public static async Task<string> MethodOfSessionAsync(this ControlPlaneApp cp, string accessToken)
    {
        var sid = Guid.Parse(ControlPlaneApp.Payload(accessToken).GetProperty("sid").GetString()!);
        await using var connection = await cp.Database.OpenConnectionAsync();
        return await connection.ExecuteScalarAsync<string>("SELECT DISTINCT method FROM refresh_tokens WHERE family_id = @sid", new { sid }) ?? "";
    }
}
