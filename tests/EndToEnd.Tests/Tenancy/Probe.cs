using System.Net;
using System.Text.Json.Nodes;

namespace HoneyHive.EndToEnd.Tests.Tenancy;

/// <summary>What project A's key must get back when it names project B's objects.</summary>
public enum Expect
{
    /// <summary>404: B's object does not exist for A.</summary>
    Hidden,

    /// <summary>200 with a result filtered down to nothing (a list or search naming B's ids).</summary>
    Empty,

    /// <summary>200, acting on A's own project (a create or ingest that carries B's ids lands in A).</summary>
    Own,

    /// <summary>
    /// 400: a model call naming a provider key or alias the caller's workspace does not hold. B's key is never used and
    /// B's alias never followed; the refusal names only what A sent.
    /// </summary>
    Refused,

    /// <summary>200 from a route without ids (health, a project-wide list or schema): it may only hold A's data.</summary>
    Open,
}

/// <summary>
/// One call of the tenancy matrix: the route it exercises ("METHOD pattern", as the route listing
/// names it), the concrete request with B's ids in it, and the expected outcome.
/// </summary>
/// <param name="Empty">For <see cref="Expect.Empty"/>: the array in the answer that must be empty.</param>
public sealed record Probe(string Route, Expect Expect, HttpMethod Method, string Url, string? Body = null, Func<JsonNode, JsonNode?>? Empty = null)
{
    /// <summary>Sends something other than JSON over HTTP (the gRPC export); the status and a text rendering of the answer.</summary>
    public Func<Task<(HttpStatusCode Status, string Body)>>? Custom { get; init; }

    public string MethodName => Route[..Route.IndexOf(' ', StringComparison.Ordinal)];

    public string Pattern => Route[(Route.IndexOf(' ', StringComparison.Ordinal) + 1)..];

    public override string ToString() => $"{Method} {Url}";
}
