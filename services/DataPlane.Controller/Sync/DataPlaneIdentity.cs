using System.Security.Cryptography;
using Google.Protobuf;
using HoneyHive.Contracts.ControllerSync;
using HoneyHive.Platform.Security;

namespace HoneyHive.DataPlane.Controller.Sync;

/// <summary>
/// The DP's ECDSA P-256 identity, created on first start and kept in a 0600 PEM file. The CP pins
/// the public key on first registration, so a copied DP id without the key cannot register.
/// </summary>
public sealed class DataPlaneIdentity : IDisposable
{
    private readonly ECDsa key;

    public DataPlaneIdentity(string dataPlaneId, string keyPath)
    {
        DataPlaneId = dataPlaneId;
        key = EcdsaKeyFile.LoadOrCreate(keyPath);
        PublicKey = key.ExportSubjectPublicKeyInfo();
    }

    public string DataPlaneId { get; }

    /// <summary>SubjectPublicKeyInfo (DER) of the DP's key.</summary>
    public byte[] PublicKey { get; }

    /// <summary>A signed, timestamped registration.</summary>
    public Register CreateRegistration(DateTimeOffset now, ulong lastVersion = 0)
    {
        var timestamp = now.ToUnixTimeMilliseconds();
        var payload = System.Text.Encoding.UTF8.GetBytes($"{DataPlaneId}|{timestamp}");
        return new Register
        {
            DataPlaneId = DataPlaneId,
            PublicKey = ByteString.CopyFrom(PublicKey),
            TimestampUnixMs = timestamp,
            Signature = ByteString.CopyFrom(key.SignData(payload, HashAlgorithmName.SHA256)),
            LastVersion = lastVersion,
        };
    }

    public void Dispose() => key.Dispose();
}
