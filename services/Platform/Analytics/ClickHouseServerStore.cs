using System.Runtime.InteropServices;
using System.Text.Json;
using ClickHouse.Driver;
using ClickHouse.Driver.ADO;
using ClickHouse.Driver.ADO.Parameters;
using ClickHouse.Driver.Utility;
using Microsoft.Extensions.Logging;

namespace HoneyHive.Platform.Analytics;

/// <summary>
/// A ClickHouse server over HTTP through ClickHouse.Driver. Parameters travel as the driver's
/// <c>param_name</c> URL arguments, bound by the server to <c>{name:Type}</c> placeholders.
/// Query results are ClickHouse's own JSONEachRow text, so rows look the same as with chDB.
/// </summary>
public sealed class ClickHouseServerStore : IAnalyticsStore, IDisposable
{
    private readonly ClickHouseClient client;

    /// <summary>Connects to <paramref name="url"/>, e.g. <c>http://default:secret@127.0.0.1:8123/hh</c> (path = database).</summary>
    public ClickHouseServerStore(string url, ILogger<ClickHouseServerStore> logger)
    {
        var settings = CreateSettings(url);
        client = new ClickHouseClient(settings);
        logger.LogInformation("ClickHouse server store: {Protocol}://{Host}:{Port}, database {Database}",
            settings.Protocol, settings.Host, settings.Port, settings.Database);
    }

    /// <inheritdoc />
    public string Backend => "clickhouse";

    /// <summary>Driver settings from a URL: scheme, host, port, user:password and the database as the path.</summary>
    public static ClickHouseClientSettings CreateSettings(string url)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            throw new ArgumentException($"ClickHouse:Url must be an http(s) URL, got '{url}'.", nameof(url));

        var user = "default";
        var password = "";
        if (uri.UserInfo.Length > 0)
        {
            var parts = uri.UserInfo.Split(':', 2);
            user = Uri.UnescapeDataString(parts[0]);
            password = parts.Length > 1 ? Uri.UnescapeDataString(parts[1]) : "";
        }

        var database = Uri.UnescapeDataString(uri.AbsolutePath.Trim('/'));
        return new ClickHouseClientSettings
        {
            Protocol = uri.Scheme,
            Host = uri.Host,
            Port = (ushort)uri.Port,
            Username = user,
            Password = password,
            Database = database.Length > 0 ? database : "default",
            // 64-bit integers as JSON numbers, as chDB 26.x answers by default; ClickHouse 23.8
            // quotes them unless told not to, and callers should not see the backend in row shapes.
            CustomSettings = new Dictionary<string, object> { ["output_format_json_quote_64bit_integers"] = 0 },
        };
    }

    /// <inheritdoc />
    public async Task ExecuteAsync(string sql, IReadOnlyDictionary<string, object?>? parameters, CancellationToken cancellationToken)
    {
        try
        {
            await client.ExecuteNonQueryAsync(sql, ToDriverParameters(parameters), cancellationToken: cancellationToken);
        }
        catch (Exception e) when (Translate(e) is { } translated)
        {
            throw translated;
        }
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<JsonElement>> QueryAsync(
        string sql, IReadOnlyDictionary<string, object?>? parameters, CancellationToken cancellationToken)
    {
        try
        {
            // ClickHouseClient.ExecuteRawResultAsync takes no parameters; a command does.
            using var connection = client.CreateConnection();
            using var command = connection.CreateCommand();
            command.CommandText = sql;
            // The output format unless the SQL names one, as chDB's format argument.
            command.CustomSettings["default_format"] = "JSONEachRow";
            if (parameters is not null)
                foreach (var (name, value) in parameters)
                    command.AddParameter(AnalyticsNames.Parameter(name), ToDriverValue(value));

            using var result = await command.ExecuteRawResultAsync(cancellationToken);
            var bytes = await result.ReadAsByteArrayAsync();
            return JsonEachRow.Parse(bytes);
        }
        catch (Exception e) when (Translate(e) is { } translated)
        {
            throw translated;
        }
    }

    /// <inheritdoc />
    public async Task<byte[]> QueryFormattedAsync(
        string sql, IReadOnlyDictionary<string, object?>? parameters, string format, CancellationToken cancellationToken)
    {
        try
        {
            using var connection = client.CreateConnection();
            using var command = connection.CreateCommand();
            command.CommandText = sql;
            command.CustomSettings["default_format"] = AnalyticsNames.Format(format);
            if (parameters is not null)
                foreach (var (name, value) in parameters)
                    command.AddParameter(AnalyticsNames.Parameter(name), ToDriverValue(value));

            using var result = await command.ExecuteRawResultAsync(cancellationToken);
            return await result.ReadAsByteArrayAsync();
        }
        catch (Exception e) when (Translate(e) is { } translated)
        {
            throw translated;
        }
    }

    /// <inheritdoc />
    public Task InsertJsonEachRowAsync(string table, ReadOnlyMemory<byte> rows, CancellationToken cancellationToken) =>
        InsertAsync(table, "JSONEachRow", rows, cancellationToken);

    /// <inheritdoc />
    public async Task InsertAsync(string table, string format, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        try
        {
            using var stream = MemoryMarshal.TryGetArray(data, out var segment)
                ? new MemoryStream(segment.Array!, segment.Offset, segment.Count, writable: false)
                : new MemoryStream(data.ToArray(), writable: false);
            using var response = await client.InsertRawStreamAsync(
                AnalyticsNames.Table(table), stream, AnalyticsNames.Format(format), cancellationToken: cancellationToken);
        }
        catch (Exception e) when (Translate(e) is { } translated)
        {
            throw translated;
        }
    }

    /// <inheritdoc />
    public void Dispose() => client.Dispose();

    private static AnalyticsStoreException? Translate(Exception e) => e switch
    {
        ClickHouseServerException server => new AnalyticsStoreException(server.Message, server.ErrorCode, server),
        HttpRequestException http => new AnalyticsStoreException($"ClickHouse request failed: {http.Message}", null, http),
        _ => null,
    };

    private static ClickHouseParameterCollection? ToDriverParameters(IReadOnlyDictionary<string, object?>? parameters)
    {
        if (parameters is null || parameters.Count == 0) return null;
        var collection = new ClickHouseParameterCollection();
        foreach (var (name, value) in parameters)
            collection.AddParameter(AnalyticsNames.Parameter(name), ToDriverValue(value));
        return collection;
    }

    /// <summary>The driver formats CLR values by the placeholder's type; JSON values become CLR values first.</summary>
    private static object? ToDriverValue(object? value) => value switch
    {
        JsonElement json => json.ValueKind switch
        {
            JsonValueKind.String => json.GetString(),
            JsonValueKind.Number when json.TryGetInt64(out var l) => l,
            JsonValueKind.Number => json.GetDouble(),
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            JsonValueKind.Array => json.EnumerateArray().Select(e => ToDriverValue(e)).ToArray(),
            JsonValueKind.Object => json.EnumerateObject().ToDictionary(p => p.Name, p => ToDriverValue(p.Value)),
            _ => null,
        },
        _ => value,
    };
}
