namespace HoneyHive.Tests.Shared;

/// <summary>Bounded waits: poll a condition until it holds or the limit passes, then fail with a message.</summary>
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

    public static Task TrueAsync(Func<bool> condition, string what, TimeSpan? limit = null) =>
        ValueAsync(() => Task.FromResult(condition()), ok => ok, what, limit);
}
