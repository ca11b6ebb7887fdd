using System.Text.Json.Serialization;
using HoneyHive.Contracts.Events;

namespace HoneyHive.Ingestion.Publishing;

/// <summary>
/// Source-generated serialization of the Contracts event records as they travel (message log, session
/// state): the hot path, no reflection. Not the API's event JSON: the DP API writes that from ClickHouse
/// rows (<c>EventRowJson</c>).
/// </summary>
[JsonSerializable(typeof(EventRecord))]
[JsonSerializable(typeof(EventUpdateBatch))]
internal sealed partial class EventRecordJsonContext : JsonSerializerContext;
