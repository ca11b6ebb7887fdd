using System.Net;
using HoneyHive.Platform.Security;
using Npgsql;

namespace HoneyHive.EndToEnd.Tests;

/// <summary>
/// A second project, in an org and workspace of its own, with a valid read/write/ingest key: created in
/// cpdb as an admin would, and returned once the data plane accepts the key (the controllers synced it).
/// TenancyHost creates its project B the same way.
/// </summary>
public static class OtherProject
{
    public static async Task<(string Key, string ProjectId)> CreateAsync(HostProcess host)
    {
        var org = Guid.CreateVersion7();
        var dataplane = Guid.CreateVersion7();
        var workspace = Guid.CreateVersion7();
        var project = Guid.CreateVersion7();
        var name = "other-" + Guid.NewGuid().ToString("N")[..12];
        var key = ApiKeys.Generate();
        await using (var cpdb = new NpgsqlConnection(host.CpdbConnectionString))
        {
            await cpdb.OpenAsync();
            await using var batch = new NpgsqlBatch(cpdb)
            {
                BatchCommands =
                {
                    Command("INSERT INTO orgs (id, name) VALUES ($1, $2)", org, name + "-org"),
                    Command("INSERT INTO virtual_dataplanes (id, org_id, name, slug) VALUES ($1, $2, 'default', $3)", dataplane, org, name + "-vdp"),
                    Command("INSERT INTO workspaces (id, org_id, virtual_dataplane_id, name, slug) VALUES ($1, $2, $3, $4, $5)", workspace, org, dataplane, name + "-ws", name + "-ws"),
                    Command("INSERT INTO projects (id, workspace_id, name) VALUES ($1, $2, $3)", project, workspace, name),
                    Command("INSERT INTO api_keys (id, project_id, name, key_prefix, key_hash, scopes) VALUES ($1, $2, 'other', $3, $4, $5)",
                        Guid.NewGuid(), project, ApiKeys.DisplayPrefix(key), ApiKeys.Hash(key), new[] { "ingest", "read", "write" }),
                },
            };
            await batch.ExecuteNonQueryAsync();
        }

        using var client = host.Client(host.DataPlaneApi, key);
        await Eventually.ValueAsync(
            async () =>
            {
                using var response = await client.GetAsync(new Uri("/v1/projects", UriKind.Relative));
                return (response.StatusCode, Body: await response.Content.ReadAsStringAsync());
            },
            r => r.StatusCode == HttpStatusCode.OK && r.Body.Contains(project.ToString(), StringComparison.Ordinal),
            "the other project's key to work on the data plane");
        return (key, project.ToString());
    }

    private static NpgsqlBatchCommand Command(string sql, params object[] values)
    {
        var command = new NpgsqlBatchCommand(sql);
        foreach (var value in values) command.Parameters.Add(new NpgsqlParameter { Value = value });
        return command;
    }
}
