using System.Security.Cryptography;
using System.Text;
using Konscious.Security.Cryptography;

namespace HoneyHive.ControlPlane.Api.Identity;

/// <summary>Argon2id password hashes in the PHC string format ($argon2id$v=19$m=..,t=..,p=..$salt$hash).</summary>
public static class PasswordHasher
{
    private const int MemoryKiB = 19 * 1024; // OWASP's Argon2id baseline: m=19 MiB, t=2, p=1.
    private const int Iterations = 2;
    private const int Parallelism = 1;
    private const int HashBytes = 32;

    public static string Hash(string password)
    {
        var salt = RandomNumberGenerator.GetBytes(16);
        var hash = Compute(password, salt, MemoryKiB, Iterations, Parallelism);
        return $"$argon2id$v=19$m={MemoryKiB},t={Iterations},p={Parallelism}${Convert.ToBase64String(salt)}${Convert.ToBase64String(hash)}";
    }

    public static bool Verify(string password, string encoded)
    {
        var parts = encoded.Split('$');
        if (parts.Length != 6 || parts[1] != "argon2id") return false;
        var settings = parts[3].Split(',').Select(p => p.Split('=')).ToDictionary(p => p[0], p => int.Parse(p[1], System.Globalization.CultureInfo.InvariantCulture));
        var salt = Convert.FromBase64String(parts[4]);
        var expected = Convert.FromBase64String(parts[5]);
        var actual = Compute(password, salt, settings["m"], settings["t"], settings["p"]);
        return CryptographicOperations.FixedTimeEquals(actual, expected);
    }

    private static byte[] Compute(string password, byte[] salt, int memoryKiB, int iterations, int parallelism)
    {
        using var argon = new Argon2id(Encoding.UTF8.GetBytes(password))
        {
            Salt = salt,
            MemorySize = memoryKiB,
            Iterations = iterations,
            DegreeOfParallelism = parallelism,
        };
        return argon.GetBytes(HashBytes);
    }
}
