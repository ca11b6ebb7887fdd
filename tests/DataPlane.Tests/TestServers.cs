namespace HoneyHive.DataPlane.Tests;

/// <summary>Where the servers `./hh test` starts are; a missing one fails the test loudly.</summary>
public static class TestServers
{
    public static string ChdbLibrary => Require("HH_CHDB_LIB");

    public static string DataDirectory => Require("HH_TEST_DATA");

    private static string Require(string name) =>
        Environment.GetEnvironmentVariable(name) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException(
                $"Environment variable {name} is not set: run the tests with ./hh test, which starts the servers they need.");
}
