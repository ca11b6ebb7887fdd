using Dapper;
using HoneyHive.ControlPlane.Api;
using HoneyHive.ControlPlane.Api.Bootstrap;
using HoneyHive.ControlPlane.Api.Identity;
using HoneyHive.Platform.Postgres;
using HoneyHive.Platform.Security;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;

namespace HoneyHive.ControlPlane.Tests;

public sealed class BootstrapTests : IAsyncLifetime
{
    private readonly TestDatabase cpdb = new();
    private readonly string outputPath = Path.Combine(Path.GetTempPath(), $"hh-bootstrap-{Guid.NewGuid():N}", "bootstrap.json");

    public async Task InitializeAsync()
    {
        await cpdb.InitializeAsync();
        await PostgresMigrator.MigrateAsync(cpdb.ConnectionString, typeof(ControlPlaneApiModule).Assembly, NullLogger.Instance, CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        await cpdb.DisposeAsync();
        if (Directory.Exists(Path.GetDirectoryName(outputPath))) Directory.Delete(Path.GetDirectoryName(outputPath)!, recursive: true);
    }

    [Fact]
    public async Task First_start_creates_everything_and_a_second_start_creates_nothing()
    {
        var bootstrapper = new Bootstrapper(cpdb.DataSource, NullLogger<Bootstrapper>.Instance);
        var options = Options(new Dictionary<string, string?>());

        var first = await bootstrapper.RunAsync(options, CancellationToken.None);
        var counts = await CountsAsync();
        var second = await bootstrapper.RunAsync(options, CancellationToken.None);

        Assert.NotNull(first);
        Assert.Null(second);
        Assert.Equal((1, 1, 1, 1, 1), counts);
        Assert.Equal(counts, await CountsAsync());
        Assert.StartsWith(ApiKeys.Prefix, first.ApiKey, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Concurrent_first_starts_create_one_org()
    {
        var bootstrapper = new Bootstrapper(cpdb.DataSource, NullLogger<Bootstrapper>.Instance);
        var options = Options(new Dictionary<string, string?>());

        var results = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => bootstrapper.RunAsync(options, CancellationToken.None)));

        Assert.Single(results, r => r is not null);
        Assert.Equal((1, 1, 1, 1, 1), await CountsAsync());
    }

    [Fact]
    public async Task Init_variables_are_used_and_secrets_are_stored_only_as_hashes()
    {
        var key = "hh_" + new string('k', 40);
        var options = Options(new Dictionary<string, string?>
        {
            ["HH_INIT_ADMIN_EMAIL"] = "ops@example.com",
            ["HH_INIT_ADMIN_PASSWORD"] = "correct horse battery staple",
            ["HH_INIT_ORG_NAME"] = "Acme",
            ["HH_INIT_PROJECT_NAME"] = "chatbot",
            ["HH_INIT_API_KEY"] = key,
        });

        var result = await new Bootstrapper(cpdb.DataSource, NullLogger<Bootstrapper>.Instance).RunAsync(options, CancellationToken.None);
        await Bootstrapper.WriteAsync(result!, outputPath, CancellationToken.None);

        await using var connection = await cpdb.DataSource.OpenConnectionAsync();
        Assert.Equal("Acme", await connection.ExecuteScalarAsync<string>("SELECT name FROM orgs"));
        Assert.Equal("chatbot", await connection.ExecuteScalarAsync<string>("SELECT name FROM projects"));
        var storedHash = await connection.ExecuteScalarAsync<byte[]>("SELECT key_hash FROM api_keys");
        Assert.Equal(ApiKeys.Hash(key), storedHash);
        var dump = await connection.ExecuteScalarAsync<string>(
            "SELECT string_agg(t::text, ' ') FROM (SELECT * FROM api_keys) t") + await connection.ExecuteScalarAsync<string>(
            "SELECT string_agg(t::text, ' ') FROM (SELECT * FROM users) t");
        Assert.DoesNotContain(key, dump, StringComparison.Ordinal);
        Assert.DoesNotContain("correct horse battery staple", dump, StringComparison.Ordinal);
        var passwordHash = await connection.ExecuteScalarAsync<string>("SELECT password_hash FROM users WHERE email = 'ops@example.com'");
        Assert.True(PasswordHasher.Verify("correct horse battery staple", passwordHash!));
        Assert.False(PasswordHasher.Verify("wrong password!!", passwordHash!));

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(outputPath));
        Assert.Contains(key, await File.ReadAllTextAsync(outputPath), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("HH_INIT_ADMIN_EMAIL", "not-an-email")]
    [InlineData("HH_INIT_ADMIN_PASSWORD", "short")]
    [InlineData("HH_INIT_API_KEY", "tooshort")]
    public async Task Weak_or_malformed_init_values_are_refused_with_the_variable_named(string variable, string value)
    {
        var options = Options(new Dictionary<string, string?> { [variable] = value });

        var error = await Assert.ThrowsAsync<InvalidOperationException>(
            () => new Bootstrapper(cpdb.DataSource, NullLogger<Bootstrapper>.Instance).RunAsync(options, CancellationToken.None));

        Assert.Contains(variable, error.Message, StringComparison.Ordinal);
        Assert.Equal((0, 0, 0, 0, 0), await CountsAsync());
    }

    private BootstrapOptions Options(Dictionary<string, string?> values)
    {
        values["Bootstrap:OutputPath"] = outputPath;
        return BootstrapOptions.From(new ConfigurationBuilder().AddInMemoryCollection(values).Build());
    }

    private async Task<(int, int, int, int, int)> CountsAsync()
    {
        await using var connection = await cpdb.DataSource.OpenConnectionAsync();
        return await connection.QuerySingleAsync<(int, int, int, int, int)>(
            """
            SELECT (SELECT count(*)::int FROM orgs), (SELECT count(*)::int FROM workspaces), (SELECT count(*)::int FROM projects),
                   (SELECT count(*)::int FROM users), (SELECT count(*)::int FROM api_keys)
            """);
    }
}
