namespace HoneyHive.Bench;

/// <summary>
/// The same environment contract as the tests (`./hh test` sets it): where the real servers are.
/// A command states what it needs up front so a missing server fails before any measurement.
/// </summary>
public static class BenchEnvironment
{
    public const string NatsUrlVariable = "HH_TEST_NATS_URL";
    public const string ChdbLibraryVariable = "HH_CHDB_LIB";
    public const string DataDirectoryVariable = "HH_TEST_DATA";

    public static string NatsUrl => Require(NatsUrlVariable);

    public static string ChdbLibrary => Require(ChdbLibraryVariable);

    /// <summary>A writable folder for bench data (chDB tables); each run uses its own subfolder.</summary>
    public static string DataDirectory => Require(DataDirectoryVariable);

    public static void EnsureSet(params string[] names)
    {
        var missing = names.Where(n => string.IsNullOrEmpty(Environment.GetEnvironmentVariable(n))).ToArray();
        if (missing.Length > 0)
        {
            throw new BenchEnvironmentException(
                $"bench: environment variable(s) {string.Join(", ", missing)} not set. Set them as for the tests " +
                "(HH_TEST_NATS_URL=nats://127.0.0.1:<port>, HH_CHDB_LIB=<path to libchdb.so>, HH_TEST_DATA=<writable dir>) " +
                "or run through ./hh, which starts the servers.");
        }
    }

    public static string Require(string name)
    {
        EnsureSet(name);
        return Environment.GetEnvironmentVariable(name)!;
    }
}

public sealed class BenchEnvironmentException(string message) : Exception(message);
