using System.Security.Cryptography;
using HoneyHive.Platform.Objects;
using HoneyHive.Platform.Objects.Encryption;
using HoneyHive.Platform.Security;
using Microsoft.Extensions.Logging.Abstractions;

namespace HoneyHive.Platform.Tests.Objects.Encryption;

internal static class EncryptionTestKeys
{
    public static byte[] NewMasterKey() => RandomNumberGenerator.GetBytes(MasterKeyRing.KeySize);

    public static ObjectDataKeys DataKeys(IObjectStore inner, MasterKeyRing? ring = null, TimeProvider? clock = null, ObjectEncryptionOptions? options = null) =>
        new(inner, ring ?? MasterKeyRing.FromKeys(NewMasterKey()), options ?? new ObjectEncryptionOptions(), clock ?? TimeProvider.System,
            NullLogger<ObjectDataKeys>.Instance);
}
