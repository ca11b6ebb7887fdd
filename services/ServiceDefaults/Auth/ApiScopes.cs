namespace HoneyHive.ServiceDefaults.Auth;

/// <summary>
/// The scopes a project API key can carry, and the one rule for which granted scopes satisfy the
/// scope a route declares. Keys come from the control plane (cpdb <c>api_keys.scopes</c>, synced to dpdb).
/// </summary>
public static class ApiScopes
{
    /// <summary>Send events and traces (the HoneyHive event API and OTLP). Reads nothing.</summary>
    public const string Ingest = "ingest";

    /// <summary>Query events, sessions, runs, datasets, datapoints, metrics, configurations, projects.</summary>
    public const string Read = "read";

    /// <summary>Create, update and delete a project's datasets, datapoints, runs, metrics, configurations and sessions.</summary>
    public const string Write = "write";

    /// <summary>A workspace's provider secrets (LLM provider keys), reading which ones are configured included.</summary>
    public const string Admin = "admin";

    /// <summary>Every scope this version knows, in order of the rule below.</summary>
    public static IReadOnlyList<string> All { get; } = [Ingest, Read, Write, Admin];

    /// <summary>What an SDK key needs to trace, run experiments and manage datasets: everything but provider secrets.</summary>
    public static IReadOnlyList<string> Sdk { get; } = [Ingest, Read, Write];

    // The rule, in one place: read < write < admin, and ingest stands alone.
    // - write includes read, as GitHub fine-grained tokens' "Read and write" and OpenAI's restricted project
    //   keys do: a key that may change a dataset but not list it is no use, and write answers echo the objects anyway.
    // - admin includes write and read, like GitHub's repository roles (read < write < admin): a key trusted
    //   with the workspace's provider keys is trusted with the project's data.
    // - ingest neither includes nor is included by the others. It is the key shipped inside applications
    //   (Langfuse's public key plays this part): a leaked ingest key must not read a project's traces, and a
    //   dashboard or CI key that reads and manages data does not silently become a way to forge events.
    private static readonly Dictionary<string, string[]> SatisfiedByScopes = new(StringComparer.Ordinal)
    {
        [Ingest] = [Ingest],
        [Read] = [Read, Write, Admin],
        [Write] = [Write, Admin],
        [Admin] = [Admin],
    };

    public static bool IsKnown(string scope) => SatisfiedByScopes.ContainsKey(scope);

    /// <summary>The granted scopes that mean anything here; unknown strings (a newer control plane's, a typo) grant nothing.</summary>
    public static IReadOnlyList<string> KnownOnly(IEnumerable<string> granted) => [.. granted.Where(IsKnown).Distinct(StringComparer.Ordinal)];

    /// <summary>The scopes any one of which lets a key call a route that declares <paramref name="required"/>.</summary>
    public static IReadOnlyList<string> SatisfiedBy(string required) =>
        SatisfiedByScopes.TryGetValue(required, out var scopes) ? scopes : throw new ArgumentException($"'{required}' is not a scope.", nameof(required));

    /// <summary>Whether a key with <paramref name="granted"/> may call a route that declares <paramref name="required"/>.</summary>
    public static bool Allows(IEnumerable<string> granted, string required)
    {
        var satisfying = SatisfiedBy(required);
        return granted.Any(g => satisfying.Contains(g, StringComparer.Ordinal));
    }
}
