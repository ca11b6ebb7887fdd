using System.Diagnostics;
using Amazon.S3;
using Amazon.S3.Model;
using HoneyHive.Platform.Objects;

namespace HoneyHive.Platform.Tests.Objects;

/// <summary>
/// A real S3 API for the tests: s3rver (npm, tests/s3peer) started with node on a free loopback
/// port over a temporary folder, with one bucket created up front. Stopped and removed at the end.
/// </summary>
public sealed class S3PeerFixture : IAsyncLifetime
{
    /// <summary>s3rver's built-in credentials.</summary>
    public const string AccessKey = "S3RVER";

    private static readonly TimeSpan StartupLimit = TimeSpan.FromSeconds(60);

    private Process? _process;

    public string Directory { get; } = Path.Combine(TestServers.DataDirectory, "s3peer", Guid.NewGuid().ToString("N"));

    public string Bucket { get; } = "hh-test";

    public string ServiceUrl { get; private set; } = "";

    public IAmazonS3 Client { get; private set; } = null!;

    public S3ObjectStoreOptions Options(string? bucket = null) => new()
    {
        ServiceUrl = ServiceUrl,
        Bucket = bucket ?? Bucket,
        AccessKey = AccessKey,
        SecretKey = AccessKey,
    };

    public async Task InitializeAsync()
    {
        var peerFolder = FindPeerFolder();
        if (!System.IO.Directory.Exists(Path.Combine(peerFolder, "node_modules", "s3rver")))
            throw new InvalidOperationException(
                $"s3rver is not installed in {peerFolder}: run the tests with ./hh test (it runs npm ci there), or npm ci in that folder.");
        System.IO.Directory.CreateDirectory(Directory);

        var start = new ProcessStartInfo("node")
        {
            WorkingDirectory = peerFolder,
            RedirectStandardInput = true, // the peer exits when this pipe closes, even if we crash
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // s3rver's continuation tokens use DES, which OpenSSL 3 serves only from its legacy provider.
        foreach (var arg in new[] { "--openssl-legacy-provider", "start.js", "--directory", Directory, "--bucket", Bucket, "--address", "127.0.0.1", "--port", "0" })
            start.ArgumentList.Add(arg);
        _process = Process.Start(start) ?? throw new InvalidOperationException("node did not start");

        using var startup = new CancellationTokenSource(StartupLimit);
        var port = await ReadPortAsync(_process, startup.Token);
        ServiceUrl = $"http://127.0.0.1:{port}";
        Client = S3ObjectStore.CreateClient(Options());
        await WaitUntilAnsweringAsync(startup.Token);
    }

    public async Task DisposeAsync()
    {
        Client?.Dispose();
        if (_process is not null)
        {
            _process.StandardInput.Close();
            using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try
            {
                await _process.WaitForExitAsync(stop.Token);
            }
            catch (OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);
            }
            _process.Dispose();
        }
        if (System.IO.Directory.Exists(Directory)) System.IO.Directory.Delete(Directory, recursive: true);
    }

    /// <summary>A new empty bucket, so a test sees only its own objects.</summary>
    public async Task<string> CreateBucketAsync()
    {
        var name = $"t{Guid.NewGuid():N}";
        await Client.PutBucketAsync(new PutBucketRequest { BucketName = name });
        return name;
    }

    private static async Task<int> ReadPortAsync(Process process, CancellationToken cancellationToken)
    {
        while (await process.StandardOutput.ReadLineAsync(cancellationToken) is { } line)
        {
            if (line.StartsWith("S3PEER_PORT=", StringComparison.Ordinal)) return int.Parse(line["S3PEER_PORT=".Length..]);
        }
        var error = await process.StandardError.ReadToEndAsync(cancellationToken);
        throw new InvalidOperationException($"The S3 peer exited before listening: {error}");
    }

    private async Task WaitUntilAnsweringAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            try
            {
                await Client.ListObjectsV2Async(new ListObjectsV2Request { BucketName = Bucket, MaxKeys = 1 }, cancellationToken);
                return;
            }
            catch (Exception ex) when (ex is AmazonS3Exception or HttpRequestException && !cancellationToken.IsCancellationRequested)
            {
                await Task.Delay(100, cancellationToken);
            }
        }
    }

    private static string FindPeerFolder()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "tests", "s3peer");
            if (File.Exists(Path.Combine(candidate, "start.js"))) return candidate;
        }
        throw new InvalidOperationException($"tests/s3peer/start.js not found above {AppContext.BaseDirectory}");
    }
}
