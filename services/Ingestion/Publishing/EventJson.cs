using System.Text.Json.Serialization;
using HoneyHive.Contracts.Events;

namespace HoneyHive.Ingestion.Publishing;

/// <summary>Source-generated serialization of events (the hot path: no reflection).</summary>
[JsonSerializable(typeof(EventRecord))]
[JsonSerializable(typeof(EventUpdateBatch))]
internal sealed partial class EventJson : JsonSerializerContext;
