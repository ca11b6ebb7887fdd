using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using HoneyHive.ServiceDefaults;

namespace HoneyHive.ControlPlane.Api.Sso.Saml;

/// <summary>
/// The <c>config</c> of a connection with protocol <c>saml</c>: <c>idp_entity_id</c> (the Issuer its Responses carry),
/// <c>idp_sso_url</c> (where AuthnRequests go, by browser redirect only: the CP never calls it), <c>idp_certificate</c>
/// (the PEM certificate whose RSA key must sign Responses; nothing in a message can replace it) and
/// <c>allow_idp_initiated</c> (false unless set: a Response that answers no AuthnRequest of ours is refused).
/// </summary>
public static class SamlConnectionConfig
{
    public static readonly string[] Fields = ["idp_entity_id", "idp_sso_url", "idp_certificate", "allow_idp_initiated"];

    private const int MaxCertificateLength = 16 * 1024;

    /// <summary>Checks <paramref name="given"/> merged over <paramref name="current"/> and answers the config to store; a 400 names the field to fix.</summary>
    public static JsonObject Validate(JsonObject given, JsonObject? current, SsoOptions options, TimeProvider clock)
    {
        var merged = current?.DeepClone().AsObject() ?? [];
        foreach (var (key, value) in given)
        {
            if (!Fields.Contains(key))
                throw ApiRequestException.BadRequest($"config.{key}", $"config.{key} is not a SAML setting; config takes {string.Join(", ", Fields)}.");
            merged[key] = value?.DeepClone();
        }

        if (String(merged, "idp_entity_id", 1024) is null)
            throw ApiRequestException.BadRequest("config.idp_entity_id", "config.idp_entity_id is required: the IdP's entity id (the Issuer of its Responses, in its metadata's entityID).");
        var ssoUrl = String(merged, "idp_sso_url", 2048)
            ?? throw ApiRequestException.BadRequest("config.idp_sso_url", "config.idp_sso_url is required: the IdP's SingleSignOnService URL for the HTTP-Redirect binding.");
        if (!Uri.TryCreate(ssoUrl, UriKind.Absolute, out var url) || url.Scheme is not ("https" or "http") || url.Fragment.Length > 0)
            throw ApiRequestException.BadRequest("config.idp_sso_url", "config.idp_sso_url must be an absolute https URL without a fragment.");
        if (options.RequireHttps && url.Scheme != "https")
            throw ApiRequestException.BadRequest("config.idp_sso_url", "config.idp_sso_url must use https.");
        var pem = String(merged, "idp_certificate", MaxCertificateLength)
            ?? throw ApiRequestException.BadRequest("config.idp_certificate", "config.idp_certificate is required: the IdP's signing certificate, PEM (-----BEGIN CERTIFICATE-----).");
        using (var certificate = ParseCertificate(pem))
        {
            if (certificate.NotAfter.ToUniversalTime() <= clock.GetUtcNow().UtcDateTime)
                throw ApiRequestException.BadRequest("config.idp_certificate", $"config.idp_certificate expired on {certificate.NotAfter.ToUniversalTime():yyyy-MM-dd}; export the IdP's current signing certificate.");
        }
        if (merged["allow_idp_initiated"] is { } allow && allow.GetValueKind() is not (System.Text.Json.JsonValueKind.True or System.Text.Json.JsonValueKind.False))
            throw ApiRequestException.BadRequest("config.allow_idp_initiated", "config.allow_idp_initiated must be true or false.");
        merged["allow_idp_initiated"] ??= false;
        return merged;
    }

    /// <summary>The IdP of a stored saml connection.</summary>
    public static SamlIdentityProvider IdentityProviderOf(SsoConnectionRow row)
    {
        var config = row.ConfigObject;
        return new SamlIdentityProvider(
            config["idp_entity_id"]?.GetValue<string>() ?? "",
            config["idp_sso_url"]?.GetValue<string>() ?? "",
            ParseCertificate(config["idp_certificate"]?.GetValue<string>() ?? ""),
            config["allow_idp_initiated"]?.GetValue<bool>() ?? false);
    }

    private static X509Certificate2 ParseCertificate(string pem)
    {
        X509Certificate2 certificate;
        try
        {
            certificate = X509Certificate2.CreateFromPem(pem);
        }
        catch (CryptographicException)
        {
            throw ApiRequestException.BadRequest("config.idp_certificate", "config.idp_certificate is not a PEM certificate (-----BEGIN CERTIFICATE----- ... -----END CERTIFICATE-----).");
        }
        using var key = certificate.GetRSAPublicKey();
        if (key is null || key.KeySize < 2048)
        {
            certificate.Dispose();
            throw ApiRequestException.BadRequest("config.idp_certificate", "config.idp_certificate must hold an RSA key of at least 2048 bits.");
        }
        return certificate;
    }

    private static string? String(JsonObject config, string name, int maxLength)
    {
        var node = config[name];
        if (node is null) return null;
        if (node.GetValueKind() != System.Text.Json.JsonValueKind.String || node.GetValue<string>().Trim() is not { Length: > 0 } value)
            throw ApiRequestException.BadRequest($"config.{name}", $"config.{name} must be a non-empty string.");
        if (value.Length > maxLength) throw ApiRequestException.BadRequest($"config.{name}", $"config.{name} must be at most {maxLength} characters.");
        return value;
    }
}
