namespace HoneyHive.Writer.Tests;

/// <summary>The real servers `./hh test` starts; a missing one fails the test with this message.</summary>
public static class TestServers
{
    public static string NatsUrl => Require("HH_TEST_NATS_URL");

    public static string ChdbLibrary => Require("HH_CHDB_LIB");

    /// <summary>A writable folder for this test run.</summary>
    public static string DataDirectory => Require("HH_TEST_DATA");

    private static string Require(string name) =>
        Environment.GetEnvironmentVariable(name) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException(
                $"Environment variable {name} is not set: run the tests with ./hh test, which starts the servers they need.");
}

/// <summary>Bounded waits: poll until a condition holds or the limit passes, then fail with a message.</summary>
public static class Eventually
{
    public static readonly TimeSpan DefaultLimit = TimeSpan.FromSeconds(60);

    public static async Task<T> ValueAsync<T>(Func<Task<T>> probe, Func<T, bool> done, string what, TimeSpan? limit = null)
    {
        using var cts = new CancellationTokenSource(limit ?? DefaultLimit);
        T last = default!;
        while (!cts.IsCancellationRequested)
        {
            last = await probe();
            if (done(last)) return last;
            try
            {
                await Task.Delay(100, cts.Token);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        throw new Xunit.Sdk.XunitException($"Timed out waiting for {what}; last value: {last}");
    }
}
