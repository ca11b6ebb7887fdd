using System.Text.Json;
using System.Text.Json.Nodes;
using HoneyHive.ServiceDefaults;

namespace HoneyHive.ControlPlane.Api.Tenancy;

/// <summary>The rules for a retention setting (days of events a data plane keeps), for a project and an org's default.</summary>
public static class Retention
{
    public const int MinDays = 1;
    public const int MaxDays = 3650;

    /// <summary>
    /// The field's value: absent → <paramref name="present"/> false; JSON null → null (for a project: use the org's
    /// default); otherwise a whole number of days in range, or a 400 naming the field.
    /// </summary>
    public static int? Days(JsonObject body, string field, bool nullable, out bool present)
    {
        present = body.TryGetPropertyValue(field, out var node);
        if (!present) return null;
        if (node is null)
        {
            if (nullable) return null;
            throw ApiRequestException.BadRequest(field, $"{field} must be a whole number of days from {MinDays} to {MaxDays}.");
        }
        if (node.GetValueKind() != JsonValueKind.Number || !node.AsValue().TryGetValue<int>(out var days) || days is < MinDays or > MaxDays)
            throw ApiRequestException.BadRequest(field,
                $"{field} must be a whole number of days from {MinDays} to {MaxDays}{(nullable ? ", or null to use the org's default" : "")}; got {node.ToJsonString()}.");
        return days;
    }
}
