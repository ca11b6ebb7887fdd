using HoneyHive.ServiceDefaults.Auth;

namespace HoneyHive.ControlPlane.Tests.Tokens;

/// <summary>The token contract both planes share: what the CP mints, the validator accepts with its grants intact.</summary>
[Trait("Servers", "None")]
public sealed class AccessTokenContractTests
{
    [Fact]
    public async Task A_minted_token_validates_with_its_user_grants_and_expiry()
    {
        using var tokens = new TestTokens();
        var user = Guid.NewGuid();
        var grant = new Grant(GrantScopes.Project, Guid.NewGuid(), [Permissions.EventsRead, Permissions.DatasetsWrite]);
        var validator = new AccessTokenValidator(tokens, tokens.Options, TimeProvider.System);

        var (token, error) = await validator.ValidateAsync(tokens.Mint(user, [grant]), CancellationToken.None);

        Assert.Null(error);
        Assert.NotNull(token);
        Assert.Equal(user, token.UserId);
        var parsed = Assert.Single(token.Grants);
        Assert.Equal((grant.Scope, grant.Id), (parsed.Scope, parsed.Id));
        Assert.Equal(grant.Permissions, parsed.Permissions);
        Assert.InRange(token.ExpiresAt - DateTimeOffset.UtcNow, TimeSpan.FromMinutes(9), TimeSpan.FromMinutes(11));
    }

    [Fact]
    public async Task A_token_of_another_audience_is_refused_and_the_reason_names_aud()
    {
        using var tokens = new TestTokens();
        var validator = new AccessTokenValidator(tokens, tokens.Options, TimeProvider.System);

        var (token, error) = await validator.ValidateAsync(tokens.Mint(Guid.NewGuid(), [], d => d.Audience = "someone-else"), CancellationToken.None);

        Assert.Null(token);
        Assert.Contains("aud", error, StringComparison.Ordinal);
    }
}
