using System.Globalization;
using HoneyHive.Bench.Limits;

namespace HoneyHive.Bench.Load;

/// <summary>
/// What a load phase sends: how many requests in flight, spans per request, for how long, at what rate
/// (null: as fast as the server acks), the shape and size of the spans, and how long a refused request
/// keeps being retried (as OTLP exporters do, honouring Retry-After) before it is given up.
/// </summary>
public sealed record LoadPlan
{
    public int Concurrency { get; init; } = 16;
    public int SpansPerRequest { get; init; } = 100;
    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(20);
    public double? TargetSpansPerSecond { get; init; }
    public SpanShape Shape { get; init; } = SpanShape.Chat;

    /// <summary>Extra characters of prompt text per model span (0: the ~1 KB default).</summary>
    public int PadChars { get; init; }

    /// <summary>Longest time a refused request is retried before it is given up (OTel exporters: a few minutes).</summary>
    public TimeSpan RetryBudget { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>Longest wait between two attempts, whatever Retry-After says.</summary>
    public TimeSpan MaxRetryDelay { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>When set, every span carries <c>bench_run_id</c> and every acknowledged span is recorded.</summary>
    public SpanLedger? Ledger { get; init; }

    public string Protocol { get; init; } = "http";

    /// <summary>
    /// Reads <c>--rate N --duration 20s --concurrency N --spans-per-request N --pad-chars N --shape agent|chat
    /// --protocol http|grpc</c> over these defaults; other arguments are left for the command.
    /// </summary>
    public static LoadPlan Parse(IReadOnlyList<string> args, LoadPlan defaults, out List<string> rest)
    {
        var plan = defaults;
        rest = [];
        for (var i = 0; i < args.Count; i++)
        {
            string Value() => i + 1 < args.Count ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
            switch (args[i])
            {
                case "--rate": plan = plan with { TargetSpansPerSecond = double.Parse(Value(), CultureInfo.InvariantCulture) }; break;
                case "--duration": plan = plan with { Duration = ParseDuration(Value()) }; break;
                case "--concurrency": plan = plan with { Concurrency = int.Parse(Value(), CultureInfo.InvariantCulture) }; break;
                case "--spans-per-request": plan = plan with { SpansPerRequest = int.Parse(Value(), CultureInfo.InvariantCulture) }; break;
                case "--pad-chars": plan = plan with { PadChars = int.Parse(Value(), CultureInfo.InvariantCulture) }; break;
                case "--shape": plan = plan with { Shape = Enum.Parse<SpanShape>(Value(), ignoreCase: true) }; break;
                case "--protocol":
                    var protocol = Value();
                    plan = plan with { Protocol = protocol is "grpc" or "http" ? protocol : throw new ArgumentException("--protocol is http or grpc.") };
                    break;
                default: rest.Add(args[i]); break;
            }
        }

        if (plan.Concurrency < 1 || plan.SpansPerRequest < 1 || plan.Duration <= TimeSpan.Zero || plan.TargetSpansPerSecond <= 0)
            throw new ArgumentException("--concurrency, --spans-per-request, --duration and --rate must be positive.");
        return plan;
    }

    /// <summary>"20s", "2m", "500ms" or plain seconds.</summary>
    public static TimeSpan ParseDuration(string text) => text switch
    {
        _ when text.EndsWith("ms", StringComparison.Ordinal) => TimeSpan.FromMilliseconds(double.Parse(text[..^2], CultureInfo.InvariantCulture)),
        _ when text.EndsWith('s') => TimeSpan.FromSeconds(double.Parse(text[..^1], CultureInfo.InvariantCulture)),
        _ when text.EndsWith('m') => TimeSpan.FromMinutes(double.Parse(text[..^1], CultureInfo.InvariantCulture)),
        _ => TimeSpan.FromSeconds(double.Parse(text, CultureInfo.InvariantCulture)),
    };

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{Protocol}, {Concurrency} in flight, {SpansPerRequest} {Shape.ToString().ToLowerInvariant()} spans/request, {(TargetSpansPerSecond is { } r ? $"{r:0} spans/s" : "closed loop")}, {Duration.TotalSeconds:0} s");
}
