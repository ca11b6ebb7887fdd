namespace HoneyHive.Evaluation.Tests;

/// <summary>Where this test project keeps its data under HH_TEST_DATA.</summary>
public static class EvaluationTestData
{
    /// <summary>The project's chDB folder (its one connection: <see cref="HoneyHive.Tests.Shared.SharedChdb"/>).</summary>
    public const string ChdbFolder = "evaluation-chdb";
}
