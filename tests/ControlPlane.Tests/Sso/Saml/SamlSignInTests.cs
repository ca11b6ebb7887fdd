using System.IO.Compression;
using System.Web;
using System.Xml;
using Dapper;
using HoneyHive.ControlPlane.Api.Sso.Saml;
using Microsoft.Extensions.DependencyInjection;

namespace HoneyHive.ControlPlane.Tests.Sso.Saml;

/// <summary>
/// The stateful half of a SAML sign-in over the real cpdb: AuthnRequests we issued are answered once, IdP-initiated
/// Responses only where the connection allows them, and an assertion works once.
/// </summary>
public sealed class SamlSignInTests : IClassFixture<ControlPlaneApp>, IDisposable
{
    private readonly ControlPlaneApp app;
    private readonly TestSamlIdp idp = new("https://idp.org-a.test/saml");
    private readonly SamlSignIn saml;

    public SamlSignInTests(ControlPlaneApp app)
    {
        this.app = app;
        saml = app.Services.GetRequiredService<SamlSignIn>();
    }

    public void Dispose() => idp.Dispose();

    private SamlConnection Connection(bool allowIdpInitiated = false) => new(Guid.CreateVersion7(), app.Bootstrap.OrgId, idp.AsConfigured(allowIdpInitiated));

    private string Respond(SamlConnection connection, string? inResponseTo, Func<SamlResponseSpec, SamlResponseSpec>? change = null)
    {
        var spec = idp.Spec(saml.ServiceProvider(connection.Id), "ada@org-a.test", app.Clock.GetUtcNow(), inResponseTo);
        return TestSamlIdp.Encode(idp.SignedAssertion(change is null ? spec : change(spec)));
    }

    private async Task RefusedAsync(SamlConnection connection, string response, string? browserRequestId, string reason)
    {
        var refused = await Assert.ThrowsAsync<SamlRejectedException>(() => saml.CompleteAsync(connection, response, browserRequestId, CancellationToken.None));
        Assert.Contains(reason, refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_sp_initiated_response_to_our_request_signs_in_once()
    {
        var connection = Connection();
        var start = await saml.StartAsync(connection, relayState: null, CancellationToken.None);

        var assertion = await saml.CompleteAsync(connection, Respond(connection, start.RequestId), start.RequestId, CancellationToken.None);
        Assert.Equal("ada@org-a.test", assertion.Email);

        // A second, freshly signed Response to the same request: the request was consumed by the first.
        await RefusedAsync(connection, Respond(connection, start.RequestId), start.RequestId, "did not send, or one already answered");
    }

    [Fact]
    public async Task A_replayed_response_is_refused()
    {
        var connection = Connection(allowIdpInitiated: true);
        var response = Respond(connection, inResponseTo: null);

        await saml.CompleteAsync(connection, response, null, CancellationToken.None);
        await RefusedAsync(connection, response, null, "already used to sign in");
    }

    [Fact]
    public async Task A_replay_sent_to_a_second_cp_api_instance_is_refused_too()
    {
        var connection = Connection(allowIdpInitiated: true);
        var response = Respond(connection, inResponseTo: null);
        await saml.CompleteAsync(connection, response, null, CancellationToken.None);

        var secondInstance = new SamlSignIn(new SamlReplayGuard(app.Database, app.Clock), app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<HoneyHive.ControlPlane.Api.Sso.SsoOptions>>(), app.Clock);
        await Assert.ThrowsAsync<SamlRejectedException>(() => secondInstance.CompleteAsync(connection, response, null, CancellationToken.None));
    }

    [Fact]
    public async Task A_response_to_a_request_we_never_sent_is_refused()
    {
        var connection = Connection(allowIdpInitiated: true);
        await RefusedAsync(connection, Respond(connection, "_forged"), "_forged", "did not send");
    }

    [Fact]
    public async Task A_response_to_another_connections_request_is_refused()
    {
        var first = Connection();
        var second = Connection();
        var start = await saml.StartAsync(first, null, CancellationToken.None);

        await RefusedAsync(second, Respond(second, start.RequestId), start.RequestId, "did not send");
    }

    [Fact]
    public async Task A_response_to_an_expired_request_is_refused()
    {
        var connection = Connection();
        var start = await saml.StartAsync(connection, null, CancellationToken.None);
        app.Clock.Advance(app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<HoneyHive.ControlPlane.Api.Sso.SsoOptions>>().Value.FlowLifetime + TimeSpan.FromSeconds(1));

        await RefusedAsync(connection, Respond(connection, start.RequestId), start.RequestId, "expired");
    }

    [Fact]
    public async Task A_response_to_a_sign_in_another_browser_started_is_refused()
    {
        var connection = Connection();
        var attackers = await saml.StartAsync(connection, null, CancellationToken.None);
        var victims = await saml.StartAsync(connection, null, CancellationToken.None);

        await RefusedAsync(connection, Respond(connection, attackers.RequestId), victims.RequestId, "this browser did not start");
    }

    [Fact]
    public async Task An_idp_initiated_response_is_refused_unless_the_connection_allows_it()
    {
        var connection = Connection(allowIdpInitiated: false);
        await RefusedAsync(connection, Respond(connection, inResponseTo: null), null, "does not allow IdP-initiated sign-in");

        var allowing = Connection(allowIdpInitiated: true);
        Assert.Equal("ada@org-a.test", (await saml.CompleteAsync(allowing, Respond(allowing, null), null, CancellationToken.None)).Email);
    }

    [Fact]
    public async Task An_assertion_for_one_connection_is_refused_by_another_with_the_same_idp()
    {
        // Two orgs that use the same IdP: each connection is its own SP (entity id and ACS URL).
        var mine = Connection(allowIdpInitiated: true);
        var theirs = Connection(allowIdpInitiated: true);

        await RefusedAsync(theirs, Respond(mine, null), null, "not this connection's ACS URL");
    }

    [Fact]
    public async Task The_authn_request_is_a_deflated_redirect_naming_our_acs_and_entity_id()
    {
        var connection = Connection();
        var start = await saml.StartAsync(connection, "/after", CancellationToken.None);
        var sp = saml.ServiceProvider(connection.Id);

        var url = new Uri(start.Url);
        Assert.StartsWith(connection.IdentityProvider.SsoUrl + "?", start.Url, StringComparison.Ordinal);
        var query = HttpUtility.ParseQueryString(url.Query);
        Assert.Equal("/after", query["RelayState"]);
        using var inflate = new DeflateStream(new MemoryStream(Convert.FromBase64String(query["SAMLRequest"]!)), CompressionMode.Decompress);
        var request = new XmlDocument();
        request.Load(inflate);
        var root = request.DocumentElement!;
        Assert.Equal(("AuthnRequest", SamlNames.Protocol), (root.LocalName, root.NamespaceURI));
        Assert.Equal(start.RequestId, root.GetAttribute("ID"));
        Assert.Equal(sp.AcsUrl, root.GetAttribute("AssertionConsumerServiceURL"));
        Assert.Equal(connection.IdentityProvider.SsoUrl, root.GetAttribute("Destination"));
        Assert.Equal(SamlNames.HttpPost, root.GetAttribute("ProtocolBinding"));
        Assert.Equal(sp.EntityId, root.GetElementsByTagName("Issuer", SamlNames.Assertion)[0]!.InnerText);

        await using var db = await app.Database.OpenConnectionAsync();
        Assert.Equal(1, await db.ExecuteScalarAsync<int>(
            "SELECT count(*) FROM saml_requests WHERE connection_id = @id AND request_id = @requestId", new { id = connection.Id, start.RequestId }));
    }

    [Fact]
    public void The_sp_metadata_names_our_entity_id_acs_url_and_email_name_id()
    {
        var sp = saml.ServiceProvider(Guid.CreateVersion7());
        var metadata = new XmlDocument();
        metadata.LoadXml(SamlMetadata.Create(sp));

        var ns = new XmlNamespaceManager(metadata.NameTable);
        ns.AddNamespace("md", SamlNames.Metadata);
        Assert.Equal(sp.EntityId, metadata.DocumentElement!.GetAttribute("entityID"));
        var acs = (XmlElement)metadata.SelectSingleNode("/md:EntityDescriptor/md:SPSSODescriptor/md:AssertionConsumerService", ns)!;
        Assert.Equal((SamlNames.HttpPost, sp.AcsUrl), (acs.GetAttribute("Binding"), acs.GetAttribute("Location")));
        Assert.Equal(SamlNames.EmailNameIdFormat, metadata.SelectSingleNode("//md:NameIDFormat", ns)!.InnerText);
        Assert.Equal("true", ((XmlElement)metadata.SelectSingleNode("//md:SPSSODescriptor", ns)!).GetAttribute("WantAssertionsSigned"));
    }
}
