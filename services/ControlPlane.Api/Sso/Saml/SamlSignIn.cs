using Microsoft.Extensions.Options;

namespace HoneyHive.ControlPlane.Api.Sso.Saml;

/// <summary>A SAML SSO connection of an org, as sign-in needs it.</summary>
public sealed record SamlConnection(Guid Id, Guid OrgId, SamlIdentityProvider IdentityProvider);

/// <summary>
/// The SAML service provider of every connection: the AuthnRequest that starts an SP-initiated sign-in, and the
/// complete check of a Response (signature and conditions by <see cref="SamlResponseValidator"/>, then the request it
/// answers and the assertion's single use by <see cref="SamlReplayGuard"/>). Each connection is an SP of its own,
/// with its own entity id and ACS URL, so an assertion made for one org's connection is refused by every other one
/// (wrong audience, wrong recipient) even before the signature is checked against that connection's IdP certificate.
/// </summary>
public sealed class SamlSignIn(SamlReplayGuard replay, IOptions<SsoOptions> options, TimeProvider clock)
{
    public const string RoutePrefix = "/v1/auth/sso/saml";

    public SamlServiceProvider ServiceProvider(Guid connectionId) => ServiceProviderOf(options.Value, connectionId);

    /// <summary>Connection <paramref name="connectionId"/>'s SP: the entity id is its metadata URL (a common convention IdPs expect), the ACS beside it.</summary>
    public static SamlServiceProvider ServiceProviderOf(SsoOptions options, Guid connectionId)
    {
        var root = options.PublicApiUrl.TrimEnd('/') + RoutePrefix + "/" + connectionId.ToString("D");
        return new SamlServiceProvider(EntityId: root + "/metadata", AcsUrl: root + "/acs");
    }

    /// <summary>An AuthnRequest to <paramref name="connection"/>'s IdP, remembered so its Response can be matched once.</summary>
    public async Task<SamlRedirect> StartAsync(SamlConnection connection, string? relayState, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var redirect = SamlAuthnRequest.Create(ServiceProvider(connection.Id), connection.IdentityProvider, now, relayState);
        await replay.IssueRequestAsync(connection.Id, redirect.RequestId, now + options.Value.FlowLifetime, cancellationToken);
        return redirect;
    }

    /// <summary>
    /// The assertion of a valid, first-seen Response to <paramref name="connection"/>. <paramref name="browserRequestId"/>
    /// is the AuthnRequest ID this browser started (from its cookie): an SP-initiated Response must answer that one, so
    /// a Response obtained by someone else cannot be pushed into this browser (login CSRF).
    /// </summary>
    public async Task<SamlAssertion> CompleteAsync(SamlConnection connection, string? samlResponse, string? browserRequestId, CancellationToken cancellationToken)
    {
        var validator = new SamlResponseValidator(clock, options.Value.ClockSkew);
        var assertion = validator.Validate(samlResponse, ServiceProvider(connection.Id), connection.IdentityProvider);

        if (assertion.InResponseTo is { } requestId)
        {
            if (!string.Equals(requestId, browserRequestId, StringComparison.Ordinal))
                throw new SamlRejectedException("The Response answers a sign-in that this browser did not start; start the sign-in again from this browser.");
            if (!await replay.ConsumeRequestAsync(connection.Id, requestId, cancellationToken))
                throw new SamlRejectedException("The Response answers an AuthnRequest this connection did not send, or one already answered or expired; start the sign-in again.");
        }
        else if (!connection.IdentityProvider.AllowIdpInitiated)
        {
            throw new SamlRejectedException("The Response answers no AuthnRequest (IdP-initiated) and this connection does not allow IdP-initiated sign-in; start from the sign-in page, or allow it on the connection.");
        }

        if (!await replay.UseAssertionAsync(connection.Id, assertion.AssertionId, assertion.ReplayableUntil, cancellationToken))
            throw new SamlRejectedException("This assertion was already used to sign in; a Response works once.");
        return assertion;
    }
}
