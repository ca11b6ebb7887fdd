using System.Text.Json.Nodes;
using HoneyHive.DataPlane.Api.Secrets;
using HoneyHive.LlmProxy.OpenAi;
using HoneyHive.LlmProxy.Providers;
using HoneyHive.LlmProxy.Routing;
using HoneyHive.ServiceDefaults;
using Microsoft.Extensions.Options;

namespace HoneyHive.LlmProxy.Calls;

/// <summary>
/// Sends one call to the targets its model resolves to, in order: each target is retried after a retryable failure
/// (429, 5xx, timeout, connection) with exponential backoff and jitter, waiting what the provider's retry-after asks
/// when it asks no more than <see cref="LlmProxyOptions.MaxRetryAfter"/>; any failure that remains moves on to the
/// next target (the alias's fallback). The caller's cancellation (the client went away) stops everything at once.
/// A stream is retried only until its first chunk: after that the client has part of an answer.
/// </summary>
public sealed class ModelCaller(
    ModelRouter router,
    ProviderRegistry providers,
    IProviderSecrets secrets,
    IHttpClientFactory httpClients,
    IOptions<LlmProxyOptions> options,
    TimeProvider clock,
    ILogger<ModelCaller> logger)
{
    /// <summary>The named HttpClient every upstream call uses (its handler carries the SSRF guard).</summary>
    public const string UpstreamClient = "llm-upstream";

    private LlmProxyOptions Options => options.Value;

    public Task<JsonObject> CompleteAsync(ModelCall call, CancellationToken cancellationToken) =>
        RunAsync(call, Options.AttemptTimeout, (provider, target, token) => provider.CompleteAsync(target, call.Request, token), cancellationToken);

    public Task<JsonObject> EmbedAsync(ModelCall call, CancellationToken cancellationToken) =>
        RunAsync(call, Options.AttemptTimeout, (provider, target, token) => provider.EmbedAsync(target, call.Request, token), cancellationToken);

    /// <summary>Opens the stream of the first target that sends a chunk; the returned stream holds that chunk.</summary>
    public async Task<ModelStream> OpenStreamAsync(ModelCall call, CancellationToken cancellationToken)
    {
        return await RunAsync(call, null, async (provider, target, token) =>
        {
            // The stream outlives this attempt's timeout: its own source is linked to the caller's token only.
            var streamSource = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            streamSource.CancelAfter(Options.FirstChunkTimeout);
            // The attempt's token (the caller's) is not the stream's: a timeout of the first chunk must cancel the read.
            using var link = token.Register(static s => ((CancellationTokenSource)s!).Cancel(), streamSource);
            var chunks = provider.StreamAsync(target, call.Request, streamSource.Token).GetAsyncEnumerator(streamSource.Token);
            try
            {
                if (!await chunks.MoveNextAsync())
                    throw new OpenAiErrorException(502, "api_error", $"{target.Credential.Provider}: the provider ended the stream without sending anything.");
                return new ModelStream(chunks, chunks.Current, streamSource, Options.StreamIdleTimeout, target.Credential.Provider, cancellationToken);
            }
            catch
            {
                await chunks.DisposeAsync();
                streamSource.Dispose();
                throw;
            }
        }, cancellationToken);
    }

    private async Task<T> RunAsync<T>(
        ModelCall call, TimeSpan? attemptTimeout, Func<ILlmProvider, ProviderCall, CancellationToken, Task<T>> attempt, CancellationToken cancellationToken)
    {
        var targets = await router.ResolveAsync(call.Scope.WorkspaceId, call.RequestedModel, cancellationToken);
        OpenAiErrorException? last = null;
        foreach (var target in targets)
        {
            call.Target = target;
            ProviderCall prepared;
            ILlmProvider provider;
            try
            {
                (provider, prepared) = await PrepareAsync(call.Scope, target, cancellationToken);
            }
            catch (OpenAiErrorException error)
            {
                last = error;
                continue;
            }

            for (var retry = 0; ; retry++)
            {
                call.Attempts++;
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                if (attemptTimeout is { } limit) timeout.CancelAfter(limit);
                try
                {
                    return await attempt(provider, prepared, timeout.Token);
                }
                catch (Exception e) when (!cancellationToken.IsCancellationRequested)
                {
                    var error = UpstreamErrors.FromException(e, target.Provider);
                    last = error;
                    var wait = error.RetryAfter ?? Backoff(retry);
                    if (!error.Retryable || retry >= Options.MaxRetries || wait > Options.MaxRetryAfter)
                    {
                        logger.LogInformation("{Target} failed after {Attempts} attempt(s) with {Status} {Type}", target, retry + 1, error.Status, error.Type);
                        break;
                    }
                    logger.LogDebug("{Target} failed with {Status}; retrying in {Wait}", target, error.Status, wait);
                    await Task.Delay(wait, clock, cancellationToken);
                }
            }
        }
        throw last ?? OpenAiErrorException.Invalid("model", $"'{call.RequestedModel}' resolves to no target.");
    }

    private async Task<(ILlmProvider, ProviderCall)> PrepareAsync(CallScope scope, RouteTarget target, CancellationToken cancellationToken)
    {
        if (ProviderSecretStore.TryNormalizeProvider(target.Provider) is null)
            throw OpenAiErrorException.Invalid("model", $"'{target.Provider}' is not a provider name: it must be {ProviderSecretStore.ProviderRule}.");
        ProviderCredential? credential;
        try
        {
            credential = await secrets.GetCredentialAsync(scope.WorkspaceId, target.Provider, cancellationToken);
        }
        catch (ProviderSecretException)
        {
            // The store logged why; the caller learns only that the key is unusable.
            throw new OpenAiErrorException(500, "api_error", $"The workspace's {target.Provider} key cannot be decrypted; an administrator must store it again.", retryable: false);
        }
        if (credential is null)
            throw new OpenAiErrorException(400, "invalid_request_error",
                $"The workspace has no key for provider '{target.Provider}': store one with PUT /v1/provider-secrets/{target.Provider}, or name another provider as provider/model.",
                "provider_not_configured", "model", retryable: false);
        var kind = credential.Kind ?? ProviderKinds.ImpliedBy(credential.Provider)
            ?? throw OpenAiErrorException.Invalid("model", $"The {credential.Provider} secret has no kind; store it again with one of: {string.Join(", ", ProviderKinds.All)}.");
        var baseUrl = credential.BaseUrl ?? (Options.ProviderBaseUrls.TryGetValue(kind, out var configured) && configured.Length > 0 ? configured : null);
        return (providers.For(kind), new ProviderCall(credential, kind, target.Model, httpClients.CreateClient(UpstreamClient), baseUrl));
    }

    private TimeSpan Backoff(int retry)
    {
        var exponential = Options.BaseBackoff * Math.Pow(2, retry);
        var capped = exponential < Options.MaxBackoff ? exponential : Options.MaxBackoff;
        // Full jitter between half and all of it: replicas retrying the same 429 spread out.
        return capped * (0.5 + Random.Shared.NextDouble() / 2);
    }
}
