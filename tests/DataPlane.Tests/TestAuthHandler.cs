using System.Text.Encodings.Web;
using HoneyHive.ServiceDefaults.Auth;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace HoneyHive.DataPlane.Tests;

/// <summary>
/// Stands in for the API-key handler (its dpdb lookup is tested with the auth code): a bearer token
/// names a test tenant, and the principal is built by the production ApiKeyIdentity.ToPrincipal,
/// so the routes see exactly the claims a real key gives.
/// </summary>
public sealed class TestAuthHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "Test";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.Ordinal)) return Task.FromResult(AuthenticateResult.NoResult());
        var tenant = Tenants.ByKey(header["Bearer ".Length..]);
        return Task.FromResult(tenant is null
            ? AuthenticateResult.Fail("unknown key")
            : AuthenticateResult.Success(new AuthenticationTicket(tenant.ToPrincipal(SchemeName), SchemeName)));
    }
}

public static class Tenants
{
    public static readonly ApiKeyIdentity A = Identity("11111111-1111-4111-8111-111111111111", "project-a");
    public static readonly ApiKeyIdentity B = Identity("22222222-2222-4222-8222-222222222222", "project-b");
    public static readonly ApiKeyIdentity C = Identity("33333333-3333-4333-8333-333333333333", "project-c");

    /// <summary>A project in another workspace (A, B and C share one), for workspace-scoped data and rows a test inserts itself.</summary>
    public static readonly ApiKeyIdentity D = new(
        Guid.NewGuid(), Guid.Parse("44444444-4444-4444-8444-444444444444"), Guid.Parse("77777777-7777-4777-8777-777777777777"),
        Guid.Parse("88888888-8888-4888-8888-888888888888"), "project-d", ApiScopes.All);

    // The dataset tests' own projects: the events they seed must not show up in the query tests' projects.
    public static readonly ApiKeyIdentity DatasetsA = Identity("d5000000-0000-4000-8000-00000000000a", "datasets-a");
    public static readonly ApiKeyIdentity DatasetsB = Identity("d5000000-0000-4000-8000-00000000000b", "datasets-b");

    // The metric run tests' own projects, with events of their own.
    public static readonly ApiKeyIdentity RunsA = Identity("e5000000-0000-4000-8000-00000000000a", "runs-a");
    public static readonly ApiKeyIdentity RunsB = Identity("e5000000-0000-4000-8000-00000000000b", "runs-b");

    // The archive and retention tests' own projects; the reader holds a read-only key of LifecycleA's project.
    public static readonly ApiKeyIdentity LifecycleA = Identity("f5000000-0000-4000-8000-00000000000a", "lifecycle-a");
    public static readonly ApiKeyIdentity LifecycleB = Identity("f5000000-0000-4000-8000-00000000000b", "lifecycle-b");
    public static readonly ApiKeyIdentity LifecycleReader = LifecycleA with { KeyId = Guid.NewGuid(), Scopes = [ApiScopes.Read] };

    public static ApiKeyIdentity? ByKey(string key) => key switch
    {
        "key-lifecycle-a" => LifecycleA,
        "key-lifecycle-b" => LifecycleB,
        "key-lifecycle-reader" => LifecycleReader,
        "key-runs-a" => RunsA,
        "key-runs-b" => RunsB,
        "key-a" => A,
        "key-b" => B,
        "key-c" => C,
        "key-d" => D,
        "key-datasets-a" => DatasetsA,
        "key-datasets-b" => DatasetsB,
        _ => null,
    };

    private static ApiKeyIdentity Identity(string project, string name) => new(
        Guid.NewGuid(), Guid.Parse(project), Guid.Parse("99999999-9999-4999-8999-999999999999"),
        Guid.Parse("88888888-8888-4888-8888-888888888888"), name, ApiScopes.All);
}
