using HoneyHive.Platform.State;
using HoneyHive.ServiceDefaults.Auth;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace HoneyHive.ServiceDefaults.Quotas;

public static class QuotaRegistration
{
    /// <summary>
    /// The quota limiter (section <c>Quotas</c>) on the shared Redis connection, with the project overrides read from dpdb.
    /// Called by each module that enforces quotas (ingestion, the DP API); registers once.
    /// </summary>
    public static IHostApplicationBuilder AddQuotas(this IHostApplicationBuilder builder)
    {
        if (builder.Services.Any(d => d.ServiceType == typeof(RedisQuotaLimiter))) return builder;
        var options = builder.Configuration.GetSection(QuotaOptions.Section).Get<QuotaOptions>() ?? new QuotaOptions();
        options.Validate();
        builder.AddRedisConnection();
        builder.Services.AddMemoryCache();
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton<ProjectQuotas>();
        builder.Services.AddSingleton<RedisQuotaLimiter>();
        return builder;
    }

    /// <summary>
    /// Counts every request to the group's routes against its caller's per-minute budget (an API key, or a signed-in user's
    /// token, in the project it acts in); over it, 429 problem details naming the limit and the project, with Retry-After.
    /// Runs after authentication, so anonymous routes (the OpenAPI document) are not counted.
    /// </summary>
    public static TBuilder RequireApiRequestQuota<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.AddEndpointFilter(async (context, next) =>
        {
            var user = context.HttpContext.User;
            var caller = user.FindFirst(ApiKeyIdentity.KeyIdClaim)?.Value is { Length: > 0 } key ? "key:" + key
                : user.FindFirst(AccessTokenPrincipal.UserIdClaim)?.Value is { Length: > 0 } id ? "user:" + id
                : null;
            if (caller is not null && Guid.TryParse(user.FindFirst(ApiKeyIdentity.ProjectIdClaim)?.Value, out var project))
            {
                var limiter = context.HttpContext.RequestServices.GetRequiredService<RedisQuotaLimiter>();
                var decision = await limiter.AdmitApiRequestAsync(project, caller, context.HttpContext.RequestAborted);
                if (!decision.Admitted) throw ApiRequestException.OverQuota(decision.Limit!, project, decision.Describe(project), decision.RetryAfter);
            }
            return await next(context);
        });
}
