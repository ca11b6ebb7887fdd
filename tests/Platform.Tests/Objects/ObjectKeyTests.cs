using HoneyHive.Platform.Objects;

namespace HoneyHive.Platform.Tests.Objects;

[Trait("Servers", "None")]
public sealed class ObjectKeyTests
{
    [Theory]
    [InlineData("a")]
    [InlineData("a/b/c.json")]
    [InlineData(".hidden")]
    [InlineData("a..b")]
    [InlineData("...")]
    [InlineData("dead-letters/2026-11-27/evt:1")]
    [InlineData("日本/ü")]
    public void Proper_keys_are_accepted(string key)
    {
        ObjectKey.Validate(key);
        ObjectKey.ValidatePrefix(key);
    }

    [Theory]
    [MemberData(nameof(ObjectStoreContract.HostileKeys), MemberType = typeof(ObjectStoreContract))]
    [InlineData("a\tb")]
    public void Hostile_keys_are_rejected(string key)
    {
        Assert.ThrowsAny<ArgumentException>(() => ObjectKey.Validate(key));
    }

    [Theory]
    [InlineData("")]
    [InlineData("logs/")]
    [InlineData("logs/2026-")]
    [InlineData("a/.")]
    public void Prefixes_may_be_empty_end_in_a_slash_or_stop_inside_a_segment(string prefix)
    {
        ObjectKey.ValidatePrefix(prefix);
    }
}
