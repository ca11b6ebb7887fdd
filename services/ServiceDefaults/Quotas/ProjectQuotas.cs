using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace HoneyHive.ServiceDefaults.Quotas;

/// <summary>
/// The limits in force for a project: the overrides the CP set (dpdb <c>projects</c>, kept by the controllers' sync) over
/// the configured defaults. Read through a short cache, so a request costs no database round trip. When dpdb cannot be read
/// the defaults apply (logged): a quota override is not worth refusing data over, and the key check already failed closed.
/// </summary>
public sealed class ProjectQuotas(
    [FromKeyedServices("dpdb")] NpgsqlDataSource dpdb,
    IMemoryCache cache,
    QuotaOptions options,
    ILogger<ProjectQuotas> logger)
{
    private const string Query = "SELECT ingest_spans_per_second, ingest_spans_per_day, api_requests_per_minute FROM projects WHERE id = $1";

    public ProjectLimits Defaults { get; } = new(options.IngestSpansPerSecond, options.IngestSpansPerDay, options.ApiRequestsPerMinute);

    public async ValueTask<ProjectLimits> ForAsync(Guid projectId, CancellationToken cancellationToken)
    {
        var cacheKey = "quota-limits:" + projectId.ToString("N");
        if (cache.TryGetValue(cacheKey, out ProjectLimits? cached) && cached is not null) return cached;
        var limits = Defaults;
        try
        {
            await using var command = dpdb.CreateCommand(Query);
            command.Parameters.Add(new NpgsqlParameter { Value = projectId });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            if (await reader.ReadAsync(cancellationToken))
            {
                limits = new ProjectLimits(
                    reader.IsDBNull(0) ? Defaults.IngestSpansPerSecond : reader.GetInt64(0),
                    reader.IsDBNull(1) ? Defaults.IngestSpansPerDay : reader.GetInt64(1),
                    reader.IsDBNull(2) ? Defaults.ApiRequestsPerMinute : reader.GetInt64(2));
            }
        }
        catch (NpgsqlException ex)
        {
            logger.LogWarning(ex, "Could not read project {ProjectId}'s quota overrides from dpdb; the configured defaults apply", projectId);
            return limits;
        }
        if (options.OverrideCacheDuration > TimeSpan.Zero) cache.Set(cacheKey, limits, options.OverrideCacheDuration);
        return limits;
    }
}
