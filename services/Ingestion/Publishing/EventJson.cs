using System.Text.Json.Serialization;
using HoneyHive.Contracts.Events;

namespace HoneyHive.Ingestion.Publishing;

/// <summary>Source-generated serialization of events (the hot path: no reflection).</summary>
[JsonSerializable(typeof(EventRecord))]
internal sealed partial class EventJson : JsonSerializerContext;
