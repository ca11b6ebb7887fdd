using System.Collections.Concurrent;
using System.Globalization;
using System.IO.Compression;
using System.Text;
using HoneyHive.Platform.Analytics;
using HoneyHive.Platform.Analytics.Chdb;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace HoneyHive.Platform.Tests.Analytics;

/// <summary>
/// The ClickHouse HTTP interface, served on 127.0.0.1:0 by a real ClickHouse engine (the shared
/// chDB store), for testing the ClickHouse.Driver adapter where no ClickHouse server can run.
/// It implements what the driver uses: the SQL in the body, or in <c>query=</c> with the body as
/// the statement's data; <c>param_name</c> arguments bound by the engine; <c>default_format</c>;
/// gzip/deflate request bodies; the X-ClickHouse-* response headers; errors as HTTP 500 with the
/// engine's <c>Code: N. DB::Exception</c> text and X-ClickHouse-Exception-Code. Other URL
/// arguments are ClickHouse settings: like a server, the stand-in refuses a setting the engine
/// does not know (Code 115, the failure ClickHouse.Driver meets on old servers); it records the
/// rest (see <see cref="Requests"/>) but does not apply them to the statement.
/// </summary>
public sealed class ClickHouseHttpStandIn : IAsyncDisposable
{
    private readonly WebApplication app;
    private readonly ChdbAnalyticsStore engine;
    private readonly HashSet<string> knownSettings;

    /// <summary>URL arguments of the HTTP protocol itself rather than settings.</summary>
    private static readonly HashSet<string> ProtocolArguments =
    [
        "query", "database", "default_format", "query_id", "session_id", "session_timeout", "session_check",
        "user", "password", "quota_key", "compress", "decompress", "buffer_size", "wait_end_of_query", "role",
    ];

    private ClickHouseHttpStandIn(WebApplication app, ChdbAnalyticsStore engine, HashSet<string> knownSettings)
    {
        this.app = app;
        this.engine = engine;
        this.knownSettings = knownSettings;
    }

    /// <summary>Base URL with the default user and database, e.g. http://default:@127.0.0.1:41234/.</summary>
    public string Url { get; private set; } = "";

    /// <summary>Every request: its URL arguments and headers, for asserting what the driver sent.</summary>
    public ConcurrentQueue<RecordedRequest> Requests { get; } = new();

    public static async Task<ClickHouseHttpStandIn> StartAsync(ChdbAnalyticsStore engine)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var settings = await engine.QueryAsync("SELECT name FROM system.settings", null, CancellationToken.None);
        var standIn = new ClickHouseHttpStandIn(app, engine, settings.Select(s => s.GetProperty("name").GetString()!).ToHashSet(StringComparer.Ordinal));
        app.MapGet("/ping", () => Results.Text("Ok.\n"));
        app.MapMethods("/", ["GET", "POST"], standIn.HandleAsync);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        standIn.Url = $"http://default:@{new Uri(address).Authority}/";
        return standIn;
    }

    private async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        var arguments = request.Query.ToDictionary(q => q.Key, q => q.Value.ToString(), StringComparer.Ordinal);
        Requests.Enqueue(new RecordedRequest(
            arguments, request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase)));

        var body = await ReadBodyAsync(request);
        string sql;
        var data = ReadOnlyMemory<byte>.Empty;
        if (arguments.TryGetValue("query", out var query))
        {
            // As ClickHouse does: the body is the data that follows the statement in the URL.
            sql = query;
            data = body;
        }
        else
        {
            sql = Encoding.UTF8.GetString(body);
        }

        var parameters = arguments
            .Where(a => a.Key.StartsWith("param_", StringComparison.Ordinal))
            .Select(a => KeyValuePair.Create(a.Key["param_".Length..], a.Value))
            .ToList();
        var format = arguments.GetValueOrDefault("default_format") ?? "TabSeparated";
        var queryId = arguments.GetValueOrDefault("query_id") ?? Guid.NewGuid().ToString();

        var response = context.Response;
        response.Headers["X-ClickHouse-Server-Display-Name"] = "chdb-stand-in";
        response.Headers["X-ClickHouse-Query-Id"] = queryId;
        response.Headers["X-ClickHouse-Timezone"] = "UTC";
        try
        {
            if (arguments.TryGetValue("database", out var database) && database != "default")
                throw new AnalyticsStoreException($"Code: 81. DB::Exception: Database {database} does not exist. (UNKNOWN_DATABASE)", 81);

            foreach (var name in arguments.Keys)
                if (!name.StartsWith("param_", StringComparison.Ordinal) && !ProtocolArguments.Contains(name) && !knownSettings.Contains(name))
                    throw new AnalyticsStoreException($"Code: 115. DB::Exception: Unknown setting '{name}'. (UNKNOWN_SETTING)", 115);

            var result = await engine.QueryRawAsync(sql, format, parameters, data, context.RequestAborted);
            response.StatusCode = StatusCodes.Status200OK;
            response.Headers["X-ClickHouse-Format"] = format;
            response.Headers["X-ClickHouse-Summary"] = string.Create(CultureInfo.InvariantCulture,
                $$"""{"read_rows":"{{result.RowsRead}}","read_bytes":"{{result.BytesRead}}","written_rows":"0","written_bytes":"0","total_rows_to_read":"0","result_rows":"{{result.RowsRead}}","result_bytes":"{{result.Data.Length}}","elapsed_ns":"{{(long)(result.ElapsedSeconds * 1e9)}}"}""");
            response.ContentType = format.StartsWith("JSON", StringComparison.Ordinal) ? "application/json; charset=UTF-8"
                : format.StartsWith("TabSeparated", StringComparison.Ordinal) ? "text/tab-separated-values; charset=UTF-8"
                : "application/octet-stream";
            await response.Body.WriteAsync(result.Data, context.RequestAborted);
        }
        catch (Exception e) when (e is AnalyticsStoreException or ArgumentException)
        {
            var code = (e as AnalyticsStoreException)?.Code ?? 36; // 36 = BAD_ARGUMENTS
            var text = e.Message.StartsWith("Code:", StringComparison.Ordinal) ? e.Message : $"Code: {code}. DB::Exception: {e.Message}";
            response.StatusCode = StatusCodes.Status500InternalServerError;
            response.Headers["X-ClickHouse-Exception-Code"] = code.ToString(CultureInfo.InvariantCulture);
            response.ContentType = "text/plain; charset=UTF-8";
            await response.WriteAsync(text + "\n", context.RequestAborted);
        }
    }

    private static async Task<byte[]> ReadBodyAsync(HttpRequest request)
    {
        Stream body = request.Body;
        var encoding = request.Headers.ContentEncoding.ToString();
        if (encoding.Contains("gzip", StringComparison.OrdinalIgnoreCase)) body = new GZipStream(body, CompressionMode.Decompress);
        else if (encoding.Contains("deflate", StringComparison.OrdinalIgnoreCase)) body = new ZLibStream(body, CompressionMode.Decompress);
        using var buffer = new MemoryStream();
        await body.CopyToAsync(buffer);
        return buffer.ToArray();
    }

    public async ValueTask DisposeAsync() => await app.DisposeAsync();
}

/// <summary>What one HTTP request to the stand-in carried.</summary>
public sealed record RecordedRequest(IReadOnlyDictionary<string, string> Arguments, IReadOnlyDictionary<string, string> Headers);
