using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using HoneyHive.DataPlane.Api;
using HoneyHive.DataPlane.Api.Apis;
using HoneyHive.Platform.Objects;
using HoneyHive.Platform.Objects.Encryption;
using HoneyHive.Platform.Security;
using HoneyHive.ServiceDefaults;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace HoneyHive.DataPlane.Tests.Lifecycle;

/// <summary>
/// GET /v1/projects/{project_id}/data_keys and POST .../data_keys/rotate over a real encrypted filesystem store: a
/// rotation makes the version new writes use while what was written before still opens; an admin's own project only.
/// </summary>
public sealed class DataKeysRouteTests : IAsyncLifetime
{
    private static readonly Guid ProjectA = Tenants.LifecycleA.ProjectId;
    private static readonly Guid ProjectB = Tenants.LifecycleB.ProjectId;
    private readonly string folder = Path.Combine(TestServers.DataDirectory, "data-key-objects", Guid.NewGuid().ToString("N"));
    private FreshDpdb dpdb = null!;
    private FileSystemObjectStore inner = null!;
    private ObjectDataKeys keys = null!;
    private WebApplication encrypted = null!;
    private WebApplication plain = null!;

    public async Task InitializeAsync()
    {
        dpdb = await FreshDpdb.CreateAsync("datakeys", [Tenants.LifecycleA, Tenants.LifecycleB]);
        inner = new FileSystemObjectStore(folder, NullLogger<FileSystemObjectStore>.Instance);
        keys = new ObjectDataKeys(inner, MasterKeyRing.FromKeys(RandomNumberGenerator.GetBytes(MasterKeyRing.KeySize)),
            new ObjectEncryptionOptions(), TimeProvider.System, NullLogger<ObjectDataKeys>.Instance);
        encrypted = await StartAsync(keys);
        plain = await StartAsync(null);
    }

    public async Task DisposeAsync()
    {
        await encrypted.DisposeAsync();
        await plain.DisposeAsync();
        await dpdb.DisposeAsync();
        if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
    }

    /// <summary>The two routes as the DP API maps them; <paramref name="dataKeys"/> null is a DP without Secrets:MasterKey.</summary>
    private async Task<WebApplication> StartAsync(ObjectDataKeys? dataKeys)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Production" });
        builder.WebHost.UseTestServer();
        builder.Logging.ClearProviders();
        builder.Services.AddKeyedSingleton(DataPlaneApiModule.Database, dpdb.DataSource);
        if (dataKeys is not null) builder.Services.AddSingleton(dataKeys);
        builder.Services.AddApiRequestErrors();
        builder.Services.AddAuthentication(TestAuthHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, TestAuthHandler>(TestAuthHandler.SchemeName, null);
        builder.Services.AddAuthorization();
        var app = builder.Build();
        app.UseExceptionHandler();
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapDataKeysApi();
        await app.StartAsync();
        return app;
    }

    private static async Task<(HttpStatusCode Status, JsonNode? Body)> SendAsync(WebApplication app, HttpMethod method, string? key, Guid project, string action = "")
    {
        var client = app.GetTestClient();
        if (key is not null) client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        using var response = await client.SendAsync(new HttpRequestMessage(method, $"/v1/projects/{project}/data_keys{action}"));
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 ? null : JsonNode.Parse(text));
    }

    private async Task WriteAsync(IObjectStore store, string key, string text)
    {
        using var content = new MemoryStream(Encoding.UTF8.GetBytes(text));
        await store.PutAsync(key, content, CancellationToken.None);
    }

    private async Task<string> ReadAsync(IObjectStore store, string key)
    {
        await using var stream = await store.GetAsync(key, CancellationToken.None) ?? throw new InvalidOperationException($"{key} is missing");
        using var reader = new StreamReader(stream);
        return await reader.ReadToEndAsync();
    }

    /// <summary>The data key id in an encrypted object's header, read from the file as stored.</summary>
    private string StoredKeyId(string key)
    {
        var stored = File.ReadAllBytes(Path.Combine(folder, key));
        Assert.True(stored.AsSpan().StartsWith(EncryptedObjectFormat.Magic), $"{key} is not encrypted");
        var at = EncryptedObjectFormat.Magic.Length + 1 + 4;
        return Encoding.ASCII.GetString(stored, at + 1, stored[at]);
    }

    [Fact]
    public async Task A_rotation_makes_the_key_new_writes_use_while_objects_written_before_still_open()
    {
        var store = new EncryptingObjectStore(inner, keys);
        var before = $"payloads/{ProjectA:D}/before.json";
        await WriteAsync(store, before, "written under the first key");
        var first = StoredKeyId(before);

        var (status, rotated) = await SendAsync(encrypted, HttpMethod.Post, "key-lifecycle-a", ProjectA, "/rotate");
        var after = $"payloads/{ProjectA:D}/after.json";
        await WriteAsync(store, after, "written under the rotated key");
        var (listStatus, listed) = await SendAsync(encrypted, HttpMethod.Get, "key-lifecycle-a", ProjectA);

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(first, rotated!["previous_id"]!.GetValue<string>());
        var fresh = rotated["id"]!.GetValue<string>();
        Assert.NotEqual(first, fresh);
        Assert.Equal(fresh, StoredKeyId(after));
        Assert.Equal("written under the first key", await ReadAsync(store, before));
        Assert.Equal("written under the rotated key", await ReadAsync(store, after));

        Assert.Equal(HttpStatusCode.OK, listStatus);
        Assert.True(listed!["encrypted"]!.GetValue<bool>());
        var versions = listed["data_keys"]!.AsArray();
        Assert.Equal([first, fresh], versions.Select(v => v!["id"]!.GetValue<string>()));
        Assert.Equal([false, true], versions.Select(v => v!["current"]!.GetValue<bool>()));
        Assert.All(versions, v => Assert.Null(v!["key"]));
        var sealedKey = JsonNode.Parse(File.ReadAllText(Path.Combine(folder, "datakeys", "projects", ProjectA.ToString("D"), first + ".json")))!["key"]!.GetValue<string>();
        Assert.DoesNotContain(sealedKey, listed.ToJsonString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_newest_version_past_its_lifetime_is_listed_but_not_as_current()
    {
        var aging = new ObjectDataKeys(inner, MasterKeyRing.FromKeys(RandomNumberGenerator.GetBytes(MasterKeyRing.KeySize)),
            new ObjectEncryptionOptions { DataKeyLifetime = TimeSpan.FromMilliseconds(1) }, TimeProvider.System, NullLogger<ObjectDataKeys>.Instance);
        await using var app = await StartAsync(aging);
        var (rotated, made) = await SendAsync(app, HttpMethod.Post, "key-lifecycle-a", ProjectA, "/rotate");
        await Task.Delay(20);

        var (status, listed) = await SendAsync(app, HttpMethod.Get, "key-lifecycle-a", ProjectA);

        Assert.Equal(HttpStatusCode.OK, rotated);
        Assert.Equal(HttpStatusCode.OK, status);
        var only = Assert.Single(listed!["data_keys"]!.AsArray());
        Assert.Equal(made!["id"]!.GetValue<string>(), only!["id"]!.GetValue<string>());
        Assert.False(only["current"]!.GetValue<bool>());
    }

    [Fact]
    public async Task Another_projects_keys_are_404_and_nothing_is_made_for_it()
    {
        var (listed, _) = await SendAsync(encrypted, HttpMethod.Get, "key-lifecycle-a", ProjectB);
        var (rotated, body) = await SendAsync(encrypted, HttpMethod.Post, "key-lifecycle-a", ProjectB, "/rotate");
        var (unknown, _) = await SendAsync(encrypted, HttpMethod.Post, "key-lifecycle-a", Guid.NewGuid(), "/rotate");

        Assert.Equal(HttpStatusCode.NotFound, listed);
        Assert.Equal(HttpStatusCode.NotFound, rotated);
        Assert.Equal("project_id", body!["field"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.NotFound, unknown);
        Assert.Empty(await keys.ListAsync(ObjectEncryptionScopes.Project(ProjectB), CancellationToken.None));
    }

    [Fact]
    public async Task No_key_is_401_and_a_key_without_the_admin_scope_is_403()
    {
        Assert.Equal(HttpStatusCode.Unauthorized, (await SendAsync(encrypted, HttpMethod.Post, null, ProjectA, "/rotate")).Status);
        // (The refusal's problem body, naming the admin scope, comes from the DP's authorization handler: ScopeMatrixTests.)
        Assert.Equal(HttpStatusCode.Forbidden, (await SendAsync(encrypted, HttpMethod.Post, "key-lifecycle-reader", ProjectA, "/rotate")).Status);
        Assert.Empty(await keys.ListAsync(ObjectEncryptionScopes.Project(ProjectA), CancellationToken.None));
    }

    [Fact]
    public async Task Without_a_master_key_the_list_says_unencrypted_and_a_rotation_is_a_409_naming_the_setting()
    {
        var (listStatus, listed) = await SendAsync(plain, HttpMethod.Get, "key-lifecycle-a", ProjectA);
        var (status, body) = await SendAsync(plain, HttpMethod.Post, "key-lifecycle-a", ProjectA, "/rotate");

        Assert.Equal(HttpStatusCode.OK, listStatus);
        Assert.False(listed!["encrypted"]!.GetValue<bool>());
        Assert.Empty(listed["data_keys"]!.AsArray());
        Assert.Equal(HttpStatusCode.Conflict, status);
        Assert.Contains("Secrets:MasterKey", body!["detail"]!.GetValue<string>(), StringComparison.Ordinal);
    }
}
