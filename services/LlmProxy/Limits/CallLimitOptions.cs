namespace HoneyHive.LlmProxy.Limits;

/// <summary>One project's limits; zero or less turns a limit off.</summary>
public sealed class ProjectLimits
{
    /// <summary>Calls started in any sliding minute.</summary>
    public int? RequestsPerMinute { get; set; }

    /// <summary>Calls in flight at once (a stream counts until it ends).</summary>
    public int? MaxConcurrent { get; set; }
}

/// <summary>Per-project call limits (configuration section <c>LlmProxy:Limits</c>), shared by every proxy replica through Redis.</summary>
public sealed class CallLimitOptions
{
    public const string Section = "LlmProxy:Limits";

    /// <summary>A busy application's steady traffic (10 calls a second) with room for bursts; providers' own limits sit behind it.</summary>
    public int RequestsPerMinute { get; set; } = 600;

    /// <summary>Enough for an evaluation run's fan-out; a runaway loop of streams stops here instead of at the provider's bill.</summary>
    public int MaxConcurrent { get; set; } = 50;

    /// <summary>
    /// How long a concurrency slot lives without renewal. A replica renews its open leases every third of it; one that
    /// crashes stops renewing, and its slots come free within this time instead of being held forever.
    /// </summary>
    public TimeSpan LeaseTtl { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Overrides by project id (a large customer's higher limits).</summary>
    public Dictionary<string, ProjectLimits> Projects { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    public (int RequestsPerMinute, int MaxConcurrent) For(Guid project) =>
        Projects.TryGetValue(project.ToString(), out var custom)
            ? (custom.RequestsPerMinute ?? RequestsPerMinute, custom.MaxConcurrent ?? MaxConcurrent)
            : (RequestsPerMinute, MaxConcurrent);
}
