using System.Text.Json.Nodes;
using HoneyHive.DataPlane.Api.Metrics;

namespace HoneyHive.DataPlane.Api.Configurations;

/// <summary>Response shapes: the spec's ConfigurationItem and the SDK 1.0.42 Configuration.</summary>
public static class ConfigurationViews
{
    public static JsonObject Item(StoredConfiguration configuration)
    {
        var item = new JsonObject { ["id"] = configuration.Id.ToString() };
        foreach (var (key, value) in configuration.Content) item[key] = value?.DeepClone();
        item["version"] = configuration.Version;
        item["created_at"] = MetricViews.Timestamp(configuration.CreatedAt);
        item["updated_at"] = configuration.UpdatedAt is { } updated ? MetricViews.Timestamp(updated) : null;
        return item;
    }

    public static JsonObject Version(StoredConfiguration configuration) => new()
    {
        ["version"] = configuration.Version,
        ["current"] = configuration.Current,
        ["created_at"] = MetricViews.Timestamp(configuration.VersionCreatedAt),
        ["configuration"] = Item(configuration),
    };

    /// <summary>The SDK's Configuration: <c>_id</c>, <c>project</c>, and no nulls (its Zod schema rejects them).</summary>
    public static JsonObject Legacy(StoredConfiguration configuration, string project)
    {
        var c = configuration.Content;
        var view = new JsonObject
        {
            ["_id"] = configuration.Id.ToString(),
            ["project"] = project,
            ["name"] = c["name"]!.DeepClone(),
            ["type"] = c["type"]!.DeepClone(),
            ["provider"] = c["provider"]!.DeepClone(),
            ["parameters"] = c["parameters"]!.DeepClone(),
            ["env"] = c["env"]!.DeepClone(),
            ["tags"] = c["tags"]!.DeepClone(),
            ["created_at"] = MetricViews.Timestamp(configuration.CreatedAt),
        };
        if (c["user_properties"] is JsonObject properties) view["user_properties"] = properties.DeepClone();
        return view;
    }
}
