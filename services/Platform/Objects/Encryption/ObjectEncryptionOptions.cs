namespace HoneyHive.Platform.Objects.Encryption;

/// <summary>
/// <c>ObjectStore:Encryption</c>. Encryption is on whenever the data plane's master key (<c>Secrets:MasterKey</c>)
/// is configured, as <c>./hh up</c> always does; <see cref="Enabled"/> = false turns it off for new writes (objects
/// already encrypted stay readable while the master key is configured).
/// </summary>
public sealed class ObjectEncryptionOptions
{
    public const string Section = "ObjectStore:Encryption";

    public bool Enabled { get; set; } = true;

    /// <summary>
    /// How long one data key version takes new writes; after that a new version is made on the next write. Older
    /// versions stay and keep their objects readable, so nothing is rewritten when a key rotates.
    /// </summary>
    public TimeSpan DataKeyLifetime { get; set; } = TimeSpan.FromDays(90);

    /// <summary>How often a process looks again for a newer key version (one another process made).</summary>
    public TimeSpan CurrentKeyRefresh { get; set; } = TimeSpan.FromMinutes(1);
}
