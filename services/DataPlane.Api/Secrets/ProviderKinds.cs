namespace HoneyHive.DataPlane.Api.Secrets;

/// <summary>
/// The wire formats the proxy speaks upstream. A provider secret is stored under a name (its <c>provider</c>); the
/// well-known names are their own kind, any other name needs its kind stored with it (an Ollama or vLLM server is
/// <c>openai-compatible</c> with a base URL).
/// </summary>
public static class ProviderKinds
{
    public const string OpenAi = "openai";
    public const string Azure = "azure";
    public const string Anthropic = "anthropic";
    public const string Bedrock = "bedrock";
    public const string Vertex = "vertex";
    public const string Gemini = "gemini";
    public const string OpenAiCompatible = "openai-compatible";

    public static IReadOnlyList<string> All { get; } = [OpenAi, Azure, Anthropic, Bedrock, Vertex, Gemini, OpenAiCompatible];

    /// <summary>The kind a provider secret named <paramref name="provider"/> has when none was stored with it.</summary>
    public static string? ImpliedBy(string provider) => provider switch
    {
        "azure-openai" => Azure,
        "google" or "google-ai-studio" => Gemini,
        "vertex-ai" or "vertex_ai" => Vertex,
        "aws-bedrock" => Bedrock,
        _ => All.Contains(provider) && provider != OpenAiCompatible ? provider : null,
    };
}
