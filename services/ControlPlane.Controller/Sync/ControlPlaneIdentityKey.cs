using System.Security.Cryptography;
using HoneyHive.Platform.Security;
using Microsoft.Extensions.Options;

namespace HoneyHive.ControlPlane.Controller.Sync;

/// <summary>
/// The CP controller's ECDSA P-256 key, which signs the data planes' identity documents. Kept in a 0600 PEM file
/// (<see cref="SyncOptions.IdentityKeyPath"/>), created on first start; its public half travels with each document.
/// </summary>
public sealed class ControlPlaneIdentityKey : IDisposable
{
    public ControlPlaneIdentityKey(IOptions<SyncOptions> options)
    {
        Key = EcdsaKeyFile.LoadOrCreate(options.Value.IdentityKeyPath);
        PublicKey = Key.ExportSubjectPublicKeyInfo();
    }

    public ECDsa Key { get; }

    /// <summary>SubjectPublicKeyInfo (DER).</summary>
    public byte[] PublicKey { get; }

    public void Dispose() => Key.Dispose();
}
