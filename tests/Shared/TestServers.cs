namespace HoneyHive.Tests.Shared;

/// <summary>
/// Where the real servers that `./hh test` starts are. A test whose server is missing fails
/// with this message instead of passing silently.
/// </summary>
public static class TestServers
{
    public static string NatsUrl => Require("HH_TEST_NATS_URL");
    public static string Redis => Require("HH_TEST_REDIS");

    /// <summary>Superuser connection string; tests create and drop their own databases.</summary>
    public static string Postgres => Require("HH_TEST_PG");

    public static string ChdbLibrary => Require("HH_CHDB_LIB");

    /// <summary>Debian's libpython3.11.so.1.0, which the Python metric workers host.</summary>
    public static string PythonLibrary => Require("HH_PYTHON_LIB");

    /// <summary>The dist-packages folder holding RestrictedPython 8.x (fetched from Debian sid by ./hh).</summary>
    public static string RestrictedPythonPath => Require("HH_RESTRICTEDPYTHON");

    /// <summary>A writable folder for this test run (chDB data, object store files).</summary>
    public static string DataDirectory => Require("HH_TEST_DATA");

    private static string Require(string name) =>
        Environment.GetEnvironmentVariable(name) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException(
                $"Environment variable {name} is not set: run the tests with ./hh test, which starts the servers they need.");
}
