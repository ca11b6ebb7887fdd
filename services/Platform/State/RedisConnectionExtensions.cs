using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace HoneyHive.Platform.State;

/// <summary>The one shared Redis connection (<c>ConnectionStrings:redis</c>) and the state store on it.</summary>
public static class RedisConnectionExtensions
{
    /// <summary>Name of the connection string.</summary>
    public const string ConnectionName = "redis";

    /// <summary>Key prefix when <c>State:KeyPrefix</c> is unset.</summary>
    public const string DefaultKeyPrefix = "hh:";

    /// <summary>
    /// Registers a lazily created <see cref="IConnectionMultiplexer"/> singleton and the "redis" health
    /// check; safe to call more than once (caches and rate limiters share this connection).
    /// </summary>
    public static IHostApplicationBuilder AddRedisConnection(this IHostApplicationBuilder builder)
    {
        if (builder.Services.Any(d => d.ServiceType == typeof(IConnectionMultiplexer))) return builder;

        builder.Services.AddSingleton<IConnectionMultiplexer>(sp =>
        {
            var connectionString = sp.GetRequiredService<IConfiguration>().GetConnectionString(ConnectionName);
            if (string.IsNullOrWhiteSpace(connectionString))
                throw new InvalidOperationException($"ConnectionStrings:{ConnectionName} is not set (for example 127.0.0.1:6379).");
            var options = ConfigurationOptions.Parse(connectionString);
            // Start even while Redis is briefly down; the multiplexer keeps reconnecting in the background.
            options.AbortOnConnectFail = false;
            var logger = sp.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(RedisConnectionExtensions));
            var redis = ConnectionMultiplexer.Connect(options);
            redis.ConnectionFailed += (_, e) =>
                logger.LogWarning(e.Exception, "Redis connection to {Endpoint} failed: {FailureType}", e.EndPoint, e.FailureType);
            redis.ConnectionRestored += (_, e) => logger.LogInformation("Redis connection to {Endpoint} restored", e.EndPoint);
            return redis;
        });
        builder.Services.AddHealthChecks().AddCheck<RedisHealthCheck>("redis");
        return builder;
    }

    /// <summary>Registers <see cref="RedisStateStore"/> as the <see cref="IStateStore"/>, keys prefixed by <c>State:KeyPrefix</c>.</summary>
    public static IHostApplicationBuilder AddRedisStateStore(this IHostApplicationBuilder builder)
    {
        builder.AddRedisConnection();
        var prefix = builder.Configuration["State:KeyPrefix"] ?? DefaultKeyPrefix;
        builder.Services.TryAddSingleton<IStateStore>(sp => new RedisStateStore(
            sp.GetRequiredService<IConnectionMultiplexer>(), prefix, sp.GetRequiredService<ILogger<RedisStateStore>>()));
        return builder;
    }
}
