namespace HoneyHive.Platform.Tests;

/// <summary>
/// `./hh test --fast` runs only the classes marked <c>[Trait("Servers", "None")]</c>, with no server
/// started and no HH_TEST_* variable set. A marked class that reached for a server would fail there, or
/// pass only where one happens to run; so no marked file may name any of the ways a test here gets one.
/// Fixtures count as servers: every fixture in these projects starts or connects to one.
/// </summary>
[Trait("Servers", "None")]
public sealed class ServersTraitTests
{
    private static readonly string Mark = "[Trait(\"Servers\", \"None\")]";

    private static readonly string[] ServerHandles =
    [
        "TestServers.", "HH_TEST_", "HH_CHDB_LIB", "HH_NATS_SERVER", "HostProcess", "TenancyHost", "PrivateNatsServer",
        "JetStreamHarness", "WriterHarness", "NodeScript", "IClassFixture<", "ICollectionFixture<", "[Collection(",
    ];

    [Fact]
    public void No_class_marked_as_needing_no_server_names_a_server_or_a_fixture()
    {
        var tests = Path.Combine(Checkout.Root, "tests");
        var marked = Directory.EnumerateFiles(tests, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains("/bin/", StringComparison.Ordinal) && !f.Contains("/obj/", StringComparison.Ordinal))
            .Where(f => Path.GetFileName(f) != nameof(ServersTraitTests) + ".cs")
            .Select(f => (File: Path.GetRelativePath(tests, f), Text: File.ReadAllText(f)))
            .Where(f => f.Text.Contains(Mark, StringComparison.Ordinal))
            .ToList();

        Assert.NotEmpty(marked);
        var offending = marked
            .SelectMany(f => ServerHandles.Where(h => f.Text.Contains(h, StringComparison.Ordinal)).Select(h => $"{f.File} names {h}"))
            .ToList();
        Assert.True(offending.Count == 0, "Marked Servers=None but needs a server:\n" + string.Join('\n', offending));
    }
}
