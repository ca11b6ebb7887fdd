using System.Security.Cryptography;
using System.Text.Json;
using Dapper;
using HoneyHive.ControlPlane.Api.Identity;
using HoneyHive.Platform.Security;
using HoneyHive.ServiceDefaults.Auth;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace HoneyHive.ControlPlane.Api.Bootstrap;

/// <summary>
/// First start: creates the admin user, an org, a workspace, a project and a project API key, and
/// writes them to bootstrap.json (mode 0600). Later starts find the org and create nothing.
/// </summary>
public sealed class Bootstrapper([FromKeyedServices(ControlPlaneApiModule.Database)] NpgsqlDataSource cpdb, ILogger<Bootstrapper> logger)
{
    private const long BootstrapLockKey = 0x4848_424F_4F54; // "HHBOOT"
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>Returns what was created, or null when the platform was bootstrapped before.</summary>
    public async Task<BootstrapResult?> RunAsync(BootstrapOptions options, CancellationToken cancellationToken)
    {
        options.Validate();
        await using var connection = await cpdb.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        // Two instances starting together must not both create an org.
        await connection.ExecuteAsync("SELECT pg_advisory_xact_lock(@key)", new { key = BootstrapLockKey }, transaction);
        if (await connection.ExecuteScalarAsync<bool>("SELECT EXISTS (SELECT 1 FROM orgs)", transaction: transaction))
        {
            return null;
        }

        var result = new BootstrapResult(
            AdminEmail: options.AdminEmail,
            AdminPassword: options.AdminPassword ?? GeneratePassword(),
            OrgId: Guid.CreateVersion7(),
            OrgName: options.OrgName,
            WorkspaceId: Guid.CreateVersion7(),
            WorkspaceName: options.WorkspaceName,
            ProjectId: Guid.CreateVersion7(),
            ProjectName: options.ProjectName,
            ApiKey: options.ApiKey ?? ApiKeys.Generate());
        var userId = Guid.CreateVersion7();

        await connection.ExecuteAsync("INSERT INTO orgs (id, name) VALUES (@OrgId, @OrgName)", result, transaction);
        var dataplaneId = Guid.CreateVersion7();
        await connection.ExecuteAsync(
            "INSERT INTO virtual_dataplanes (id, org_id, name, slug) VALUES (@dataplaneId, @OrgId, 'default', @slug)",
            new { dataplaneId, result.OrgId, slug = "default-" + result.OrgId.ToString("N") }, transaction);
        await connection.ExecuteAsync(
            "INSERT INTO workspaces (id, org_id, virtual_dataplane_id, name, slug) VALUES (@WorkspaceId, @OrgId, @dataplaneId, @WorkspaceName, @slug)",
            new { result.WorkspaceId, result.OrgId, dataplaneId, result.WorkspaceName, slug = "ws-" + result.WorkspaceId.ToString("N") }, transaction);
        await connection.ExecuteAsync(
            "INSERT INTO projects (id, workspace_id, name) VALUES (@ProjectId, @WorkspaceId, @ProjectName)", result, transaction);
        await connection.ExecuteAsync(
            "INSERT INTO users (id, email, password_hash) VALUES (@id, @email, @hash)",
            new { id = userId, email = result.AdminEmail, hash = PasswordHasher.Hash(result.AdminPassword) }, transaction);
        await connection.ExecuteAsync(
            "INSERT INTO org_members (org_id, user_id, role) VALUES (@org, @user, 'owner')",
            new { org = result.OrgId, user = userId }, transaction);
        await connection.ExecuteAsync(
            """
            INSERT INTO api_keys (id, kind, project_id, org_id, scope_type, scope_id, name, key_prefix, key_hash, scopes, created_by)
            VALUES (@id, 'project', @project, @org, 'project', @project, 'bootstrap', @prefix, @hash, @scopes, @user)
            """,
            new
            {
                id = Guid.CreateVersion7(),
                project = result.ProjectId,
                org = result.OrgId,
                user = userId,
                prefix = ApiKeys.DisplayPrefix(result.ApiKey),
                hash = ApiKeys.Hash(result.ApiKey),
                // The first project's key is its owner's: the SDK's scopes, and admin so provider secrets can be set
                // before any other key exists. Keys for applications should be issued without admin.
                scopes = ApiScopes.All.ToArray(),
            },
            transaction);
        await transaction.CommitAsync(cancellationToken);
        logger.LogInformation("Bootstrapped org {OrgId}, project {ProjectId} and admin {AdminEmail}", result.OrgId, result.ProjectId, result.AdminEmail);
        return result;
    }

    /// <summary>Writes the result readable by the owner only; the password and key appear nowhere else.</summary>
    public static async Task WriteAsync(BootstrapResult result, string path, CancellationToken cancellationToken)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(directory);
        var temporary = path + ".tmp";
        File.Delete(temporary); // UnixCreateMode applies only to a file we create.
        var options = new FileStreamOptions
        {
            Mode = FileMode.Create,
            Access = FileAccess.Write,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        };
        await using (var stream = new FileStream(temporary, options))
        {
            await JsonSerializer.SerializeAsync(stream, result, Indented, cancellationToken);
            stream.Flush(flushToDisk: true);
        }
        File.Move(temporary, path, overwrite: true);
    }

    private static string GeneratePassword() =>
        Convert.ToBase64String(RandomNumberGenerator.GetBytes(18)).Replace('+', 'x').Replace('/', 'y');
}
