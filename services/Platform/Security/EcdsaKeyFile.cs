using System.Security.Cryptography;

namespace HoneyHive.Platform.Security;

/// <summary>An ECDSA P-256 private key kept in a PKCS#8 PEM file readable by its owner only (0600), created on first use.</summary>
public static class EcdsaKeyFile
{
    public static ECDsa LoadOrCreate(string path)
    {
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        if (File.Exists(path))
        {
            key.ImportFromPem(File.ReadAllText(path));
            return key;
        }
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        using var file = new FileStream(path, new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.Write,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        });
        using var writer = new StreamWriter(file);
        writer.Write(key.ExportPkcs8PrivateKeyPem());
        return key;
    }
}
