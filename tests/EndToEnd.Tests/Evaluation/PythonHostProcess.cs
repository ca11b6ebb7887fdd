namespace HoneyHive.EndToEnd.Tests.Evaluation;

/// <summary>The Host with its in-process Python metric pool pointed at the interpreter and RestrictedPython `./hh test` found.</summary>
public sealed class PythonHostProcess : HostProcess
{
    public override Task InitializeAsync()
    {
        ExtraEnvironment["PythonMetric__PythonLibrary"] = TestServers.PythonLibrary;
        ExtraEnvironment["PythonMetric__RestrictedPythonPath"] = TestServers.RestrictedPythonPath;
        return base.InitializeAsync();
    }
}
