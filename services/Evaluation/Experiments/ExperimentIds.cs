using System.Security.Cryptography;
using System.Text;

namespace HoneyHive.Evaluation.Experiments;

/// <summary>
/// Deterministic ids: an activity re-executed after a crash (its effect done, its completion not yet recorded) writes the
/// same session and model event and starts no second workflow, so every effect happens once in the store.
/// </summary>
public static class ExperimentIds
{
    /// <summary>One workflow per run: the instance id of the run's experiment workflow.</summary>
    public static string Instance(Guid project, Guid run) => $"run-{project:N}-{run:N}";

    /// <summary>The session (its root event) a datapoint's output is stored as in a run.</summary>
    public static string Session(string runId, string datapointId) => Derive("session", runId, datapointId);

    /// <summary>The model event of a datapoint's completion in a run, passed to the proxy.</summary>
    public static string ModelEvent(string runId, string datapointId) => Derive("model", runId, datapointId);

    /// <summary>A UUID (version 8, RFC 9562's custom layout) hashed from the parts.</summary>
    private static string Derive(params string[] parts)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('\n', parts)));
        hash[6] = (byte)((hash[6] & 0x0F) | 0x80);
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80);
        return new Guid(hash.AsSpan(0, 16), bigEndian: true).ToString();
    }
}
