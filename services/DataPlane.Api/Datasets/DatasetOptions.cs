namespace HoneyHive.DataPlane.Api.Datasets;

/// <summary>Configuration section <c>Datasets</c>: the bounds of the dataset and datapoint routes.</summary>
public sealed class DatasetOptions
{
    /// <summary>Largest page of <c>GET /datasets</c>, and its page size when no <c>limit</c> is sent.</summary>
    public int MaxDatasetsLimit { get; set; } = 1000;

    /// <summary>Largest page of <c>GET /datapoints</c>, and its page size when no <c>limit</c> is sent.</summary>
    public int MaxDatapointsLimit { get; set; } = 10_000;

    /// <summary>Most items one request may name or create: data rows, datapoint ids, event ids.</summary>
    public int MaxItemsPerRequest { get; set; } = 10_000;

    /// <summary>Largest JSON of one datapoint field (inputs, history, ground_truth, metadata) or of one data row.</summary>
    public int MaxDatapointBytes { get; set; } = 1 << 20;

    /// <summary>Largest request body these routes read.</summary>
    public long MaxBodyBytes { get; set; } = 16L << 20;
}
