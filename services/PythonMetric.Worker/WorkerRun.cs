using System.Text.Json.Nodes;
using Python.Runtime;

namespace HoneyHive.PythonMetric.Worker;

/// <summary>One run through the harness, with the worker's own backstops on what comes back.</summary>
internal static class WorkerRun
{
    /// <summary>
    /// The harness's answer, or a failed result when the answer is far over the output limit (the harness
    /// checks the parts; this bounds the frame) or the harness itself raised (a result it could not
    /// serialise, such as a too deeply nested value). The worker lives on either way.
    /// </summary>
    public static string Answer(PyObject run, string request, int outputBytes)
    {
        try
        {
            using var pyRequest = new PyString(request);
            using var answer = run.Invoke(pyRequest);
            var text = answer.As<string>();
            return text.Length <= MaxAnswerChars(outputBytes)
                ? text
                : Failed("resource_limit_error", $"The metric's output exceeds the limit of {outputBytes} bytes.");
        }
        catch (PythonException e)
        {
            return Failed("execution_error", $"The result could not be returned: {e.Type.Name}: {Truncate(e.Message, outputBytes)}");
        }
        catch (OutOfMemoryException)
        {
            return Failed("resource_limit_error", "The metric's result exceeds the worker's memory limit.");
        }
    }

    // Result, explanation, message and stdout may each reach the limit; JSON escaping can double them.
    private static int MaxAnswerChars(int outputBytes) => Math.Min(WorkerFrames.MaxFrameBytes / 4, 8 * Math.Max(1024, outputBytes) + 4096);

    private static string Truncate(string text, int max) => text.Length <= max ? text : text[..max];

    private static string Failed(string code, string message) => new JsonObject
    {
        ["success"] = false, ["result"] = null, ["explanation"] = null,
        ["error_code"] = code, ["message"] = message, ["line"] = null, ["stdout"] = null,
    }.ToJsonString();
}

/// <summary>One honest run before the limits, so every assembly and Python module a run needs is loaded.</summary>
internal static class WarmUp
{
    public static void Run(PyObject run, int outputBytes)
    {
        var request = new JsonObject
        {
            ["project_id"] = "warm-up", ["code_key"] = "warm-up", ["metric_name"] = "warm_up", ["return_type"] = "float",
            ["categories"] = null, ["timeout_ms"] = 1000,
            ["source"] = "def warm_up(event):\n    return len(event['outputs']['content'])\n",
            ["event"] = new JsonObject { ["outputs"] = new JsonObject { ["content"] = "warm" } },
        }.ToJsonString();
        var answer = WorkerRun.Answer(run, request, outputBytes);
        using var buffer = new MemoryStream();
        WorkerFrames.Write(buffer, answer);
        buffer.Position = 0;
        _ = WorkerFrames.Read(buffer) ?? throw new InvalidDataException("The warm-up frame did not read back.");
    }
}
