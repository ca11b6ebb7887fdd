using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;

namespace HoneyHive.Platform.Analytics;

/// <summary>
/// Applies the numbered ClickHouse schema scripts embedded from <c>Analytics/Schema/NNNN_name.sql</c>
/// in order, recording each in <c>schema_migrations</c>. A script's statements use IF NOT EXISTS,
/// so a script interrupted half way, or two processes migrating at once, converge on the same
/// schema. No served migration library speaks ClickHouse through chDB, hence this small runner.
/// </summary>
public sealed class ClickHouseMigrator(IAnalyticsStore store, ILogger<ClickHouseMigrator> logger)
{
    private const string ResourcePrefix = "HoneyHive.Platform.Analytics.Schema.";

    private const string HistoryTable = """
        CREATE TABLE IF NOT EXISTS schema_migrations
        (
            version    UInt32,
            name       String,
            checksum   String,
            applied_at DateTime64(3, 'UTC') DEFAULT now64(3)
        )
        ENGINE = ReplacingMergeTree(applied_at)
        ORDER BY version
        """;

    /// <summary>Applies the scripts not yet recorded; returns the names of those it applied.</summary>
    public async Task<IReadOnlyList<string>> MigrateAsync(CancellationToken cancellationToken)
    {
        await store.ExecuteAsync(HistoryTable, null, cancellationToken);
        var rows = await store.QueryAsync("SELECT version, checksum FROM schema_migrations FINAL", null, cancellationToken);
        var applied = rows.ToDictionary(r => r.GetProperty("version").GetUInt32(), r => r.GetProperty("checksum").GetString());

        var done = new List<string>();
        foreach (var script in LoadScripts())
        {
            if (applied.TryGetValue(script.Version, out var checksum))
            {
                // An applied script that changed would leave databases migrated earlier behind.
                if (checksum != script.Checksum)
                    throw new InvalidOperationException(
                        $"ClickHouse migration {script.Name} changed after it was applied; add a new numbered script instead.");
                continue;
            }

            logger.LogInformation("Applying ClickHouse migration {Migration} on {Backend}", script.Name, store.Backend);
            foreach (var statement in SqlStatements.Split(script.Sql))
                await store.ExecuteAsync(statement, null, cancellationToken);

            await store.ExecuteAsync(
                "INSERT INTO schema_migrations (version, name, checksum) SELECT {version:UInt32}, {name:String}, {checksum:String}",
                new Dictionary<string, object?> { ["version"] = script.Version, ["name"] = script.Name, ["checksum"] = script.Checksum },
                cancellationToken);
            done.Add(script.Name);
        }

        return done;
    }

    /// <summary>The embedded scripts in version order.</summary>
    public static IReadOnlyList<MigrationScript> LoadScripts()
    {
        var assembly = typeof(ClickHouseMigrator).Assembly;
        var scripts = new List<MigrationScript>();
        foreach (var resource in assembly.GetManifestResourceNames())
        {
            if (!resource.StartsWith(ResourcePrefix, StringComparison.Ordinal) || !resource.EndsWith(".sql", StringComparison.Ordinal))
                continue;
            var name = resource[ResourcePrefix.Length..];
            var underscore = name.IndexOf('_', StringComparison.Ordinal);
            if (underscore <= 0 || !uint.TryParse(name.AsSpan(0, underscore), NumberStyles.None, CultureInfo.InvariantCulture, out var version))
                throw new InvalidOperationException($"Migration '{name}' is not named NNNN_description.sql.");

            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var reader = new StreamReader(stream, Encoding.UTF8);
            var sql = reader.ReadToEnd().ReplaceLineEndings("\n");
            var checksum = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(sql)));
            scripts.Add(new MigrationScript(version, name, sql, checksum));
        }

        scripts.Sort((a, b) => a.Version.CompareTo(b.Version));
        for (var i = 1; i < scripts.Count; i++)
            if (scripts[i].Version == scripts[i - 1].Version)
                throw new InvalidOperationException($"Two ClickHouse migrations share version {scripts[i].Version}.");
        return scripts;
    }
}

/// <summary>One numbered schema script.</summary>
/// <param name="Version">The number before the first underscore.</param>
/// <param name="Name">The file name.</param>
/// <param name="Sql">The script text, with \n line endings.</param>
/// <param name="Checksum">SHA-256 of <paramref name="Sql"/>, hex.</param>
public sealed record MigrationScript(uint Version, string Name, string Sql, string Checksum);

/// <summary>
/// Splits a script into statements at semicolons outside quotes and comments: ClickHouse (HTTP
/// and chDB alike) runs one statement per request.
/// </summary>
public static class SqlStatements
{
    /// <summary>The statements of <paramref name="script"/>, trimmed, without empty or comment-only chunks.</summary>
    public static IReadOnlyList<string> Split(string script)
    {
        var statements = new List<string>();
        var start = 0;
        var i = 0;
        while (i < script.Length)
        {
            var c = script[i];
            if (c == '-' && i + 1 < script.Length && script[i + 1] == '-')
            {
                i = script.IndexOf('\n', i) is var end && end < 0 ? script.Length : end;
            }
            else if (c == '/' && i + 1 < script.Length && script[i + 1] == '*')
            {
                i = script.IndexOf("*/", i + 2, StringComparison.Ordinal) is var end && end < 0 ? script.Length : end + 2;
            }
            else if (c is '\'' or '"' or '`')
            {
                i++;
                while (i < script.Length && script[i] != c) i += script[i] == '\\' ? 2 : 1;
                i++;
            }
            else if (c == ';')
            {
                Add(script[start..i]);
                start = ++i;
            }
            else
            {
                i++;
            }
        }

        Add(script[Math.Min(start, script.Length)..]);
        return statements;

        void Add(string text)
        {
            // A chunk holding only comments and blanks is not a statement.
            if (StripComments(text).Trim().Length > 0) statements.Add(text.Trim());
        }
    }

    private static string StripComments(string text) =>
        string.Join('\n', text.Split('\n').Select(line => line.TrimStart().StartsWith("--", StringComparison.Ordinal) ? "" : line));
}
