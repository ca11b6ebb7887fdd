using Microsoft.Extensions.Configuration;

namespace HoneyHive.ControlPlane.Api.Bootstrap;

/// <summary>What the first start creates; each value may come from an HH_INIT_* variable.</summary>
public sealed record BootstrapOptions(
    string AdminEmail,
    string? AdminPassword,
    string OrgName,
    string WorkspaceName,
    string ProjectName,
    string? ApiKey,
    string OutputPath)
{
    public const int MinimumApiKeyLength = 24;

    public static BootstrapOptions From(IConfiguration configuration) => new(
        AdminEmail: configuration["HH_INIT_ADMIN_EMAIL"] ?? "admin@localhost",
        AdminPassword: NullIfEmpty(configuration["HH_INIT_ADMIN_PASSWORD"]),
        OrgName: configuration["HH_INIT_ORG_NAME"] ?? "Default Org",
        WorkspaceName: configuration["HH_INIT_WORKSPACE_NAME"] ?? "Default Workspace",
        ProjectName: configuration["HH_INIT_PROJECT_NAME"] ?? "default",
        ApiKey: NullIfEmpty(configuration["HH_INIT_API_KEY"]),
        OutputPath: configuration["Bootstrap:OutputPath"] ?? Path.Combine(".data", "bootstrap.json"));

    /// <summary>Refuses values that would make a weak or broken first account.</summary>
    public void Validate()
    {
        if (!AdminEmail.Contains('@', StringComparison.Ordinal))
            throw new InvalidOperationException($"HH_INIT_ADMIN_EMAIL '{AdminEmail}' is not an email address.");
        if (AdminPassword is { Length: < 12 })
            throw new InvalidOperationException("HH_INIT_ADMIN_PASSWORD must be at least 12 characters.");
        if (ApiKey is { Length: < MinimumApiKeyLength })
            throw new InvalidOperationException($"HH_INIT_API_KEY must be at least {MinimumApiKeyLength} characters.");
    }

    private static string? NullIfEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;
}
