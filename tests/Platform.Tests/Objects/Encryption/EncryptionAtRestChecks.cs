using System.Security.Cryptography;
using System.Text;
using HoneyHive.Platform.Objects;
using HoneyHive.Platform.Objects.Encryption;
using HoneyHive.Platform.Security;

namespace HoneyHive.Platform.Tests.Objects.Encryption;

/// <summary>
/// What encryption at rest promises, checked against the bytes a real backend keeps (a folder, an S3 API):
/// no plaintext stored, per-project keys, rotation, tamper refusal, and plaintext objects from before still readable.
/// </summary>
public abstract class EncryptionAtRestChecks : IAsyncLifetime
{
    protected static CancellationToken Ct => CancellationToken.None;


    private readonly byte[] masterKey = EncryptionTestKeys.NewMasterKey();
    private readonly string projectA = Guid.NewGuid().ToString();
    private readonly string projectB = Guid.NewGuid().ToString();

    /// <summary>The backend store (what lands on disk or in the bucket).</summary>
    protected IObjectStore Inner { get; private set; } = null!;

    protected abstract Task<IObjectStore> CreateInnerAsync();

    /// <summary>The stored bytes of <paramref name="key"/>, read past every layer of ours (the file, the S3 object).</summary>
    protected abstract Task<byte[]> ReadStoredBytesAsync(string key);

    public async Task InitializeAsync() => Inner = await CreateInnerAsync();

    public virtual Task DisposeAsync() => Task.CompletedTask;

    private EncryptingObjectStore Encrypted(MasterKeyRing? ring = null) =>
        new(Inner, EncryptionTestKeys.DataKeys(Inner, ring ?? MasterKeyRing.FromKeys(masterKey)));

    private string PayloadKey(string project, string evt = "e1") => $"payloads/{project}/{evt}/1/inputs.json";

    private static byte[] Payload(int repeat = 1) => Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat($"{{\"text\":\"the model said: correct horse battery staple\"}}\n", repeat)));

    private static async Task<byte[]> ReadAllAsync(IObjectStore store, string key)
    {
        await using var stream = await store.GetAsync(key, Ct) ?? throw new InvalidOperationException($"{key} is missing");
        using var copy = new MemoryStream();
        await stream.CopyToAsync(copy, Ct);
        return copy.ToArray();
    }

    private static bool HoldsPlaintext(byte[] stored) => stored.AsSpan().IndexOf("correct horse"u8) >= 0;

    private static int HeaderLength(byte[] stored) =>
        EncryptedObjectFormat.Magic.Length + 1 + 4 + 1 + stored[EncryptedObjectFormat.Magic.Length + 5] + EncryptedObjectFormat.SaltSize;

    /// <summary>The data key version a stored object's header names.</summary>
    private static string HeaderKeyId(byte[] stored) =>
        Encoding.ASCII.GetString(stored, EncryptedObjectFormat.Magic.Length + 6, stored[EncryptedObjectFormat.Magic.Length + 5]);

    [Fact]
    public async Task Stored_bytes_of_a_payload_hold_no_plaintext_and_read_back_equal()
    {
        var store = Encrypted();
        var payload = Payload(repeat: 5000); // about 280 KB: several chunks
        await store.PutAsync(PayloadKey(projectA), new MemoryStream(payload), Ct);

        var stored = await ReadStoredBytesAsync(PayloadKey(projectA));
        Assert.False(HoldsPlaintext(stored), "the stored object contains the plaintext");
        Assert.True(stored.AsSpan().StartsWith(EncryptedObjectFormat.Magic), "the stored object has no encryption header");
        Assert.Equal(payload, await ReadAllAsync(store, PayloadKey(projectA)));
    }

    [Fact]
    public async Task Dead_letters_and_archives_are_encrypted_and_other_keys_are_not()
    {
        var store = Encrypted();
        string[] encrypted = ["deadletters/events/2026/12/06/abc.json", $"archive/{projectA}/2026-12-06.parquet"];
        foreach (var key in encrypted) await store.PutAsync(key, new MemoryStream(Payload()), Ct);
        await store.PutAsync("exports/plain.json", new MemoryStream(Payload()), Ct);

        foreach (var key in encrypted)
        {
            Assert.False(HoldsPlaintext(await ReadStoredBytesAsync(key)), $"{key} is stored in plaintext");
            Assert.Equal(Payload(), await ReadAllAsync(store, key));
        }
        Assert.True(HoldsPlaintext(await ReadStoredBytesAsync("exports/plain.json")));
    }

    [Fact]
    public async Task An_object_copied_into_another_projects_folder_does_not_decrypt()
    {
        var store = Encrypted();
        await store.PutAsync(PayloadKey(projectA), new MemoryStream(Payload()), Ct);
        await store.PutAsync(PayloadKey(projectB, "other"), new MemoryStream(Payload()), Ct); // project B has keys of its own

        var stolen = await ReadStoredBytesAsync(PayloadKey(projectA));
        await Inner.PutAsync(PayloadKey(projectB), new MemoryStream(stolen), Ct);

        await Assert.ThrowsAnyAsync<CryptographicException>(() => ReadAllAsync(store, PayloadKey(projectB)));
    }

    [Fact]
    public async Task An_object_copied_to_another_key_of_the_same_project_does_not_decrypt()
    {
        var store = Encrypted();
        await store.PutAsync(PayloadKey(projectA), new MemoryStream(Payload()), Ct);
        await Inner.PutAsync(PayloadKey(projectA, "e2"), new MemoryStream(await ReadStoredBytesAsync(PayloadKey(projectA))), Ct);

        await Assert.ThrowsAnyAsync<CryptographicException>(() => ReadAllAsync(store, PayloadKey(projectA, "e2")));
    }

    [Fact]
    public async Task A_tampered_chunk_is_refused()
    {
        var store = Encrypted();
        await store.PutAsync(PayloadKey(projectA), new MemoryStream(Payload(repeat: 5000)), Ct);
        var stored = await ReadStoredBytesAsync(PayloadKey(projectA));
        stored[stored.Length / 2] ^= 0x01; // inside the middle chunk
        await Inner.PutAsync(PayloadKey(projectA), new MemoryStream(stored), Ct);

        var refused = await Assert.ThrowsAnyAsync<CryptographicException>(() => ReadAllAsync(store, PayloadKey(projectA)));
        Assert.Contains("does not authenticate", refused.Message);
    }

    [Fact]
    public async Task An_object_cut_after_a_whole_chunk_is_refused()
    {
        var store = Encrypted();
        await store.PutAsync(PayloadKey(projectA), new MemoryStream(Payload(repeat: 5000)), Ct);
        var stored = await ReadStoredBytesAsync(PayloadKey(projectA));
        // The header and the first sealed chunk, whole: every byte left authenticates, only the end is missing.
        var cut = stored[..(HeaderLength(stored) + EncryptedObjectFormat.ChunkSize + EncryptedObjectFormat.TagSize)];
        Assert.True(cut.Length < stored.Length);
        await Inner.PutAsync(PayloadKey(projectA), new MemoryStream(cut), Ct);

        await Assert.ThrowsAnyAsync<CryptographicException>(() => ReadAllAsync(store, PayloadKey(projectA)));
    }

    [Fact]
    public async Task After_a_data_key_rotation_new_objects_use_the_new_version_and_old_ones_stay_readable()
    {
        var keys = EncryptionTestKeys.DataKeys(Inner, MasterKeyRing.FromKeys(masterKey));
        var store = new EncryptingObjectStore(Inner, keys);
        await store.PutAsync(PayloadKey(projectA, "old"), new MemoryStream(Payload()), Ct);
        var before = await keys.CurrentAsync($"projects/{projectA}", Ct);

        var after = await keys.RotateAsync($"projects/{projectA}", Ct);
        await store.PutAsync(PayloadKey(projectA, "new"), new MemoryStream(Payload()), Ct);

        Assert.NotEqual(before.Id, after.Id);
        Assert.Equal(before.Id, HeaderKeyId(await ReadStoredBytesAsync(PayloadKey(projectA, "old"))));
        Assert.Equal(after.Id, HeaderKeyId(await ReadStoredBytesAsync(PayloadKey(projectA, "new"))));
        // A process started afresh (no cached keys) reads both.
        var fresh = Encrypted();
        Assert.Equal(Payload(), await ReadAllAsync(fresh, PayloadKey(projectA, "old")));
        Assert.Equal(Payload(), await ReadAllAsync(fresh, PayloadKey(projectA, "new")));
    }

    [Fact]
    public async Task A_master_key_rotation_rewraps_the_data_keys_and_the_old_master_key_can_then_go()
    {
        await Encrypted().PutAsync(PayloadKey(projectA), new MemoryStream(Payload()), Ct);
        var objectBytes = await ReadStoredBytesAsync(PayloadKey(projectA));
        var newMaster = EncryptionTestKeys.NewMasterKey();

        var result = await EncryptionTestKeys.DataKeys(Inner, MasterKeyRing.FromKeys(newMaster, masterKey)).RewrapAsync(Ct);

        Assert.Equal(1, result.Rewrapped);
        Assert.Equal(0, result.Unreadable);
        Assert.Equal(objectBytes, await ReadStoredBytesAsync(PayloadKey(projectA))); // the object itself was not rewritten
        Assert.Equal(Payload(), await ReadAllAsync(Encrypted(MasterKeyRing.FromKeys(newMaster)), PayloadKey(projectA)));
        // And the old master key alone no longer opens anything.
        await Assert.ThrowsAnyAsync<CryptographicException>(() => ReadAllAsync(Encrypted(MasterKeyRing.FromKeys(masterKey)), PayloadKey(projectA)));
    }

    [Fact]
    public async Task Without_the_master_key_nothing_decrypts()
    {
        await Encrypted().PutAsync(PayloadKey(projectA), new MemoryStream(Payload()), Ct);
        var stranger = Encrypted(MasterKeyRing.FromKeys(EncryptionTestKeys.NewMasterKey()));
        await Assert.ThrowsAnyAsync<CryptographicException>(() => ReadAllAsync(stranger, PayloadKey(projectA)));
    }

    [Fact]
    public async Task An_object_stored_before_encryption_reads_as_it_was()
    {
        await Inner.PutAsync(PayloadKey(projectA), new MemoryStream(Payload()), Ct);
        await Inner.PutAsync(PayloadKey(projectA, "tiny"), new MemoryStream("{}"u8.ToArray()), Ct);

        var store = Encrypted();
        Assert.Equal(Payload(), await ReadAllAsync(store, PayloadKey(projectA)));
        Assert.Equal("{}"u8.ToArray(), await ReadAllAsync(store, PayloadKey(projectA, "tiny")));
    }

    [Fact]
    public async Task Data_keys_are_hidden_from_listings_and_reserved()
    {
        var store = Encrypted();
        await store.PutAsync(PayloadKey(projectA), new MemoryStream(Payload()), Ct);

        var listed = new List<string>();
        await foreach (var key in store.ListAsync("", Ct)) listed.Add(key);
        Assert.Equal([PayloadKey(projectA)], listed);
        await Assert.ThrowsAsync<ArgumentException>(() => store.DeleteAsync($"datakeys/projects/{projectA}/x.json", Ct));
    }
}
