using System.Diagnostics;
using System.Text.Json;
using HoneyHive.PythonMetric.Worker;
using Python.Runtime;

// One worker of the Python metric pool: reads its config, hosts CPython, limits itself, then runs one
// request at a time on this thread (the thread that holds the GIL) until stdin closes. The pool kills it
// when a run passes its time limit; nothing here tries to interrupt user code.
var started = Stopwatch.StartNew();
var (input, output) = ProtocolStreams.Claim();

var configJson = WorkerFrames.Read(input);
if (configJson is null) return 0;
var config = JsonSerializer.Deserialize(configJson, WorkerJson.Default.WorkerConfig)
    ?? throw new InvalidDataException("The first frame is not a worker config.");

PyObject run;
string pythonVersion;
// Held for the worker's whole life: only this thread ever runs Python. Kept reachable to the end (see the last
// KeepAlive): once unreachable, a Release build lets the GC finalize it, which releases the GIL from the
// finalizer thread and aborts the process (exit code 134 under load).
Py.GILState gil;
WorkerIsolation isolation;
try
{
    Runtime.PythonDLL = config.PythonLibrary;
    PythonEngine.Initialize(setSysArgv: false);
    gil = Py.GIL();
    using (var sys = Py.Import("sys"))
    using (var path = sys.GetAttr("path"))
    {
        var index = 0;
        foreach (var folder in config.PythonPaths)
        {
            using var pyFolder = new PyString(folder);
            path.InvokeMethod("insert", new PyInt(index++), pyFolder).Dispose();
        }

        pythonVersion = sys.GetAttr("version").As<string>().Split(' ')[0];
    }

    using var harness = Py.Import("hh_sandbox");
    using (var preload = new PyList())
    {
        foreach (var module in config.Preload) preload.Append(new PyString(module));
        using var outputBytes = new PyInt(config.Limits.OutputBytes);
        harness.InvokeMethod("prepare", preload, outputBytes).Dispose();
    }

    run = harness.GetAttr("run");
    var runner = run;
    isolation = WorkerIsolation.Apply(config.Limits, () => WarmUp.Run(runner, config.Limits.OutputBytes));
}
catch (Exception e)
{
    WorkerFrames.Write(output, JsonSerializer.Serialize(new WorkerHello(false, e.Message, null, null, started.Elapsed.TotalMilliseconds), WorkerJson.Default.WorkerHello));
    return 1;
}

WorkerFrames.Write(output, JsonSerializer.Serialize(new WorkerHello(true, null, pythonVersion, isolation, started.Elapsed.TotalMilliseconds), WorkerJson.Default.WorkerHello));

try
{
    while (WorkerFrames.Read(input) is { } request)
    {
        WorkerFrames.Write(output, WorkerRun.Answer(run, request, config.Limits.OutputBytes));
    }
}
catch (IOException)
{
    // The pool is gone (its end of a pipe closed mid-frame): nothing to answer to.
}

GC.KeepAlive(gil);
// The pool closed stdin (or died): leave at once. A normal return runs the runtime's and pythonnet's shutdown,
// which waits for the GIL this thread holds and left orphaned workers hanging forever after a killed Host.
HoneyHive.PythonMetric.Worker.Isolation.Libc.Exit(0);
return 0;
