using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;

namespace HoneyHive.Platform.Objects;

/// <summary>
/// Objects as files under one root folder (<c>ObjectStore:Path</c>). A put is durable and atomic:
/// readers see the old object or the whole new one, never a torn file.
/// </summary>
/// <remarks>
/// A key cannot be both an object and a "folder" of other objects here (<c>a/b</c> and <c>a/b/c</c>),
/// which S3 allows; such a put fails with an <see cref="IOException"/>.
/// </remarks>
public sealed class FileSystemObjectStore : IObjectStore
{
    // Temporary files live beside their target so the final rename stays on one filesystem (atomic).
    // Listing hides them, so keys may not end with this suffix on this store.
    internal const string TempSuffix = ".hh-tmp";

    private const int BufferSize = 81920;
    private const int MaxPutAttempts = 3;

    private readonly ILogger<FileSystemObjectStore> _logger;

    public FileSystemObjectStore(string rootPath, ILogger<FileSystemObjectStore> logger)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(rootPath);
        Root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(rootPath));
        _logger = logger;
        Directory.CreateDirectory(Root);
    }

    /// <summary>The absolute root folder.</summary>
    public string Root { get; }

    public async Task PutAsync(string key, Stream content, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(content);
        var path = PathFor(key);
        var folder = Path.GetDirectoryName(path)!;
        var temp = Path.Combine(folder, $"{Path.GetFileName(path)}.{Guid.NewGuid():N}{TempSuffix}");

        for (var attempt = 1; ; attempt++)
        {
            Directory.CreateDirectory(folder);
            FileStream file;
            try
            {
                file = new FileStream(temp, new FileStreamOptions
                {
                    Mode = FileMode.CreateNew,
                    Access = FileAccess.Write,
                    Share = FileShare.None,
                    BufferSize = BufferSize,
                    Options = FileOptions.Asynchronous,
                });
            }
            catch (DirectoryNotFoundException) when (attempt < MaxPutAttempts)
            {
                // A concurrent delete pruned the (then empty) folder between CreateDirectory and here.
                continue;
            }

            try
            {
                await using (file)
                {
                    await content.CopyToAsync(file, BufferSize, cancellationToken);
                    await file.FlushAsync(cancellationToken);
                    // Flush(true) is fsync: the bytes are on disk before the rename makes them visible.
                    file.Flush(flushToDisk: true);
                }
                File.Move(temp, path, overwrite: true);
                return;
            }
            catch
            {
                TryDeleteFile(temp);
                throw;
            }
        }
    }

    public Task<Stream?> GetAsync(string key, CancellationToken cancellationToken)
    {
        var path = PathFor(key);
        try
        {
            Stream stream = new FileStream(path, new FileStreamOptions
            {
                Mode = FileMode.Open,
                Access = FileAccess.Read,
                // Delete: a concurrent put may replace the file; this reader keeps the old one.
                Share = FileShare.Read | FileShare.Delete,
                BufferSize = BufferSize,
                Options = FileOptions.Asynchronous | FileOptions.SequentialScan,
            });
            return Task.FromResult<Stream?>(stream);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException
                                   || (ex is UnauthorizedAccessException && Directory.Exists(path)))
        {
            // A folder is the "prefix" of other keys, not an object.
            return Task.FromResult<Stream?>(null);
        }
    }

    public async IAsyncEnumerable<string> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ObjectKey.ValidatePrefix(prefix);
        var slash = prefix.LastIndexOf('/');
        var folderKey = slash < 0 ? "" : prefix[..(slash + 1)];
        var namePrefix = prefix[(slash + 1)..];
        var folder = folderKey.Length == 0 ? Root : Path.Combine(Root, folderKey.TrimEnd('/'));
        if (!Directory.Exists(folder)) yield break;

        foreach (var key in Walk(folder, folderKey, namePrefix))
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return key;
        }
        await Task.CompletedTask;
    }

    public Task DeleteAsync(string key, CancellationToken cancellationToken)
    {
        var path = PathFor(key);
        try
        {
            File.Delete(path);
        }
        catch (DirectoryNotFoundException)
        {
            return Task.CompletedTask;
        }
        PruneEmptyFolders(Path.GetDirectoryName(path)!);
        return Task.CompletedTask;
    }

    /// <summary>
    /// Depth-first walk that yields keys in ordinal order without collecting them: siblings are sorted by
    /// the key text they contribute (a folder as "name/"), so a folder's keys fall exactly where they
    /// sort among its siblings.
    /// </summary>
    private static IEnumerable<string> Walk(string folder, string folderKey, string namePrefix)
    {
        var entries = new List<(string KeyPart, string Path, bool IsFolder)>();
        try
        {
            foreach (var entry in new DirectoryInfo(folder).EnumerateFileSystemInfos())
            {
                var name = entry.Name;
                if (!name.StartsWith(namePrefix, StringComparison.Ordinal)) continue;
                var isFolder = (entry.Attributes & FileAttributes.Directory) != 0;
                if (!isFolder && name.EndsWith(TempSuffix, StringComparison.Ordinal)) continue;
                entries.Add((isFolder ? name + "/" : name, entry.FullName, isFolder));
            }
        }
        catch (DirectoryNotFoundException)
        {
            entries.Clear(); // pruned by a concurrent delete while we listed
        }
        entries.Sort((a, b) => string.CompareOrdinal(a.KeyPart, b.KeyPart));

        foreach (var (keyPart, path, isFolder) in entries)
        {
            if (!isFolder)
            {
                yield return folderKey + keyPart;
                continue;
            }
            foreach (var child in Walk(path, folderKey + keyPart, "")) yield return child;
        }
    }

    private string PathFor(string key)
    {
        ObjectKey.Validate(key);
        if (key.Split('/')[^1].EndsWith(TempSuffix, StringComparison.Ordinal))
            throw new ArgumentException($"Object keys may not end with '{TempSuffix}' on the filesystem store.", nameof(key));
        var path = Path.GetFullPath(Path.Combine(Root, key));
        // Defense in depth: the key rules already forbid escaping, this holds even if they regress.
        if (!path.StartsWith(Root + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            throw new ArgumentException($"Object key '{key}' resolves outside the store.", nameof(key));
        return path;
    }

    private void PruneEmptyFolders(string folder)
    {
        while (folder.Length > Root.Length && folder.StartsWith(Root, StringComparison.Ordinal))
        {
            try
            {
                Directory.Delete(folder, recursive: false);
            }
            catch (IOException)
            {
                return; // not empty (or a put just created something there)
            }
            catch (UnauthorizedAccessException ex)
            {
                _logger.LogDebug(ex, "Could not prune empty folder {Folder}", folder);
                return;
            }
            folder = Path.GetDirectoryName(folder)!;
        }
    }

    private void TryDeleteFile(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            _logger.LogWarning(ex, "Could not remove temporary file {Path}", path);
        }
    }
}
