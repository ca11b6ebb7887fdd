using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace HoneyHive.Evaluation.Online;

/// <summary>
/// Deterministic sampling: whether an event is in a metric's <c>sampling_percentage</c> depends only on the event id and the
/// metric id, so a redelivered batch samples exactly the same events (no second score, no lost one), and two metrics at 10 %
/// sample independent tenths of the traffic.
/// </summary>
public static class Sampling
{
    public static bool Sampled(string eventId, Guid metricId, double percentage)
    {
        if (percentage >= 100) return true;
        if (percentage <= 0 || double.IsNaN(percentage)) return false;
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.UTF8.GetBytes($"{eventId}\n{metricId:N}"), hash);
        // The top 53 bits as a uniform fraction in [0, 1).
        var fraction = (BinaryPrimitives.ReadUInt64BigEndian(hash) >> 11) * (1.0 / (1UL << 53));
        return fraction * 100 < percentage;
    }
}
