using System.Buffers;
using System.Diagnostics;
using System.Threading.Channels;
using HoneyHive.Platform.Analytics;

namespace HoneyHive.Bench.Query;

/// <summary>What loading took: rows and bytes sent, wall time, and how long each side of the pipeline was busy.</summary>
public sealed record LoadFigures(long Events, long Rows, long Bytes, int Batches, TimeSpan Elapsed, TimeSpan Generating, TimeSpan Inserting)
{
    public double EventsPerSecond => Events / Elapsed.TotalSeconds;
    public double MegabytesPerSecond => Bytes / Elapsed.TotalSeconds / 1_000_000;
}

/// <summary>
/// Streams generated sessions into <c>events</c> in large JSONEachRow batches (the Writer's format and
/// path, so the materialized views run on every batch) while the next batch is being generated.
/// <para>
/// Why JSONEachRow from .NET rather than <c>INSERT INTO events SELECT ... FROM numbers(N)</c>: a trace
/// is sequential state (parents are earlier chains, a span starts where the previous one ended, the
/// session's roll-up revision sums its spans), which SQL over numbers() can only fake with per-row
/// hashes; and inserting through JSONEachRow measures nothing the platform does not do. The cost is
/// bounded anyway: chDB runs one statement at a time, so the insert (parsing, sorting, compressing, the
/// views) is the bottleneck and generation overlaps with it on the other core.
/// </para>
/// Memory is bounded by three batch buffers: one being generated, one queued, one being inserted.
/// </summary>
public static class EventLoader
{
    private const int Buffers = 3;

    public static async Task<LoadFigures> LoadAsync(
        IAnalyticsStore store, TraceGenerator generator, int batchRows, Action<LoadFigures> progress, CancellationToken cancellationToken)
    {
        var ready = Channel.CreateBounded<ArrayBufferWriter<byte>>(new BoundedChannelOptions(1) { SingleReader = true, SingleWriter = true });
        var free = Channel.CreateBounded<ArrayBufferWriter<byte>>(Buffers);
        for (var i = 0; i < Buffers; i++) free.Writer.TryWrite(new ArrayBufferWriter<byte>(batchRows * 1400));

        var generating = new Stopwatch();
        var producer = Task.Run(async () =>
        {
            try
            {
                while (!generator.Done)
                {
                    var buffer = await free.Reader.ReadAsync(cancellationToken);
                    buffer.ResetWrittenCount();
                    generating.Start();
                    generator.WriteBatch(buffer, batchRows);
                    generating.Stop();
                    await ready.Writer.WriteAsync(buffer, cancellationToken);
                }

                ready.Writer.Complete();
            }
            catch (Exception e)
            {
                ready.Writer.Complete(e);
            }
        }, cancellationToken);

        var wall = Stopwatch.StartNew();
        var inserting = new Stopwatch();
        long bytes = 0;
        var batches = 0;
        await foreach (var buffer in ready.Reader.ReadAllAsync(cancellationToken))
        {
            inserting.Start();
            await store.InsertJsonEachRowAsync("events", buffer.WrittenMemory, cancellationToken);
            inserting.Stop();
            bytes += buffer.WrittenCount;
            batches++;
            free.Writer.TryWrite(buffer);
            if (batches % 20 == 0)
                progress(new LoadFigures(generator.EventsWritten, generator.RowsWritten, bytes, batches, wall.Elapsed, generating.Elapsed, inserting.Elapsed));
        }

        await producer;
        return new LoadFigures(generator.EventsWritten, generator.RowsWritten, bytes, batches, wall.Elapsed, generating.Elapsed, inserting.Elapsed);
    }
}
