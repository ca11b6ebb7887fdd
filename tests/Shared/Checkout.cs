namespace HoneyHive.Tests.Shared;

/// <summary>The repository the tests were built from, for tests that read its files (YAML, appsettings, sources).</summary>
public static class Checkout
{
    /// <summary>The folder holding HoneyHive.sln, found by walking up from the test assembly.</summary>
    public static string Root { get; } = Find();

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "HoneyHive.sln"))) return dir.FullName;
        }

        throw new InvalidOperationException("HoneyHive.sln not found above the test assembly.");
    }
}
