using System.Security.Cryptography;
using Google.Protobuf;
using HoneyHive.Contracts.ControllerSync;

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
        key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        if (File.Exists(keyPath))
        {
            key.ImportFromPem(File.ReadAllText(keyPath));
        }
        else
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(keyPath))!);
            using var file = new FileStream(keyPath, new FileStreamOptions
            {
                Mode = FileMode.CreateNew,
                Access = FileAccess.Write,
                UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
            });
            using var writer = new StreamWriter(file);
            writer.Write(key.ExportPkcs8PrivateKeyPem());
        }
    }

    public string DataPlaneId { get; }

    /// <summary>A signed, timestamped registration.</summary>
    public Register CreateRegistration(DateTimeOffset now)
    {
        var timestamp = now.ToUnixTimeMilliseconds();
        var payload = System.Text.Encoding.UTF8.GetBytes($"{DataPlaneId}|{timestamp}");
        return new Register
        {
            DataPlaneId = DataPlaneId,
            PublicKey = ByteString.CopyFrom(key.ExportSubjectPublicKeyInfo()),
            TimestampUnixMs = timestamp,
            Signature = ByteString.CopyFrom(key.SignData(payload, HashAlgorithmName.SHA256)),
        };
    }

    public void Dispose() => key.Dispose();
}
