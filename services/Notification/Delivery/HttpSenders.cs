using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;
using HoneyHive.Platform.Security.Outbound;

namespace HoneyHive.Notification.Delivery;

/// <summary>
/// POSTs JSON to a tenant's URL through the guarded client (<see cref="NotificationModule.HttpClientName"/>): the URL is
/// checked before the call, every connection by the guard's connect callback and every redirect by its redirect handler,
/// so a Slack or webhook URL can reach neither a private address nor a metadata service unless the operator allowed it
/// (<c>HH_ALLOWED_PRIVATE_HOSTS</c>).
/// </summary>
public sealed class GuardedPoster(IHttpClientFactory clients, OutboundGuard guard)
{
    public async Task PostAsync(string url, byte[] body, IReadOnlyDictionary<string, string> headers, CancellationToken cancellationToken)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri)) throw new DeliveryRejectedException("The URL is not an absolute URL.");
        HttpResponseMessage response;
        try
        {
            await guard.CheckUrlAsync(uri, cancellationToken);
            using var request = new HttpRequestMessage(HttpMethod.Post, uri) { Content = new ByteArrayContent(body) };
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
            foreach (var (name, value) in headers) request.Headers.TryAddWithoutValidation(name, value);
            response = await clients.CreateClient(NotificationModule.HttpClientName).SendAsync(request, cancellationToken);
        }
        catch (Exception e) when (Refusal(e) is { } refused)
        {
            throw new DeliveryRejectedException($"Refused by the outbound guard: {refused.Reason}.", refused);
        }
        catch (HttpRequestException e)
        {
            // The message names the failure (connection refused, reset), not the URL.
            throw new HttpRequestException($"The receiver did not answer: {e.HttpRequestError}.", null, e.StatusCode);
        }
        catch (TaskCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException("The receiver did not answer in time.", e);
        }

        using (response)
        {
            var status = (int)response.StatusCode;
            if (status is >= 200 and < 300) return;
            // 408, 429 and 5xx are the receiver's passing trouble; any other answer (404 of a revoked Slack hook, 401 of a
            // webhook refusing the signature, a redirect left over after the guard's limit) will not change on a retry.
            if (response.StatusCode is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests || status >= 500)
                throw new HttpRequestException($"The receiver answered {status}.", null, response.StatusCode);
            throw new DeliveryRejectedException($"The receiver answered {status}.");
        }
    }

    private static OutboundAddressRefusedException? Refusal(Exception? e)
    {
        for (; e is not null; e = e.InnerException)
            if (e is OutboundAddressRefusedException refused) return refused;
        return null;
    }
}

/// <summary>Slack incoming webhooks: the content's <c>text</c> and <c>blocks</c> payload.</summary>
public sealed class SlackSender(GuardedPoster poster) : INotificationSender
{
    public string Kind => ChannelKinds.Slack;

    public Task SendAsync(Delivery delivery, CancellationToken cancellationToken)
    {
        var payload = delivery.Content.Slack ?? new JsonObject { ["text"] = delivery.Content.Text };
        return poster.PostAsync(delivery.Target, JsonSerializer.SerializeToUtf8Bytes(payload), new Dictionary<string, string>(), cancellationToken);
    }
}

/// <summary>
/// Generic webhooks: the content's JSON with the delivery id added, signed with the destination's secret (see
/// <see cref="WebhookSignature"/>); <c>X-HoneyHive-Delivery</c> lets a receiver drop the rare repeat (a crash after the
/// receiver answered and before the ledger said sent).
/// </summary>
public sealed class WebhookSender(GuardedPoster poster, TimeProvider clock) : INotificationSender
{
    public string Kind => ChannelKinds.Webhook;

    public Task SendAsync(Delivery delivery, CancellationToken cancellationToken)
    {
        if (delivery.SecretError is { } error) throw new DeliveryRejectedException(error);
        var body = (JsonObject)(delivery.Content.Webhook ?? new JsonObject { ["text"] = delivery.Content.Text }).DeepClone();
        body["delivery_id"] = delivery.Id;
        var bytes = JsonSerializer.SerializeToUtf8Bytes(body);
        var headers = new Dictionary<string, string>
        {
            [WebhookSignature.DeliveryHeader] = delivery.Id,
            [WebhookSignature.EventHeader] = delivery.Content.EventName,
        };
        if (delivery.Secret is { Length: > 0 } secret)
            headers[WebhookSignature.SignatureHeader] = WebhookSignature.Header(secret, clock.GetUtcNow().ToUnixTimeSeconds(), bytes);
        return poster.PostAsync(delivery.Target, bytes, headers, cancellationToken);
    }
}
