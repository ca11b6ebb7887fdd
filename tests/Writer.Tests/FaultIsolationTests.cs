using System.Reflection;
using HoneyHive.Platform.Faults;
using HoneyHive.Platform.Messaging;

namespace HoneyHive.Writer.Tests;

/// <summary>
/// Test faults wrap components from outside (Platform/Faults); production code never branches on a
/// fault switch. Guards the Writer and every Platform type outside the Faults namespace.
/// </summary>
public sealed class FaultIsolationTests
{
    [Fact]
    public void No_Writer_or_Platform_type_outside_Faults_takes_or_holds_a_fault_type()
    {
        var production = typeof(WriterBatchHandler).Assembly.GetTypes()
            .Concat(typeof(IBatchHandler).Assembly.GetTypes().Where(t => t.Namespace != typeof(FaultSwitch).Namespace))
            .ToList();
        Assert.Contains(typeof(WriterBatchHandler), production);
        Assert.Contains(typeof(HoneyHive.Platform.Messaging.JetStream.BatchSubscriptionWorker), production);

        const BindingFlags all = BindingFlags.Instance | BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly;
        var offenders = new List<string>();
        foreach (var type in production)
        {
            offenders.AddRange(type.GetConstructors(all).SelectMany(c => c.GetParameters())
                .Where(p => IsFault(p.ParameterType)).Select(p => $"{type.FullName}: constructor parameter {p.Name}"));
            offenders.AddRange(type.GetFields(all).Where(f => IsFault(f.FieldType)).Select(f => $"{type.FullName}: field {f.Name}"));
            offenders.AddRange(type.GetProperties(all).Where(p => IsFault(p.PropertyType)).Select(p => $"{type.FullName}: property {p.Name}"));
        }

        Assert.Empty(offenders);
    }

    [Fact]
    public void The_fault_check_recognises_the_fault_types()
    {
        Assert.True(IsFault(typeof(FaultSwitch)));
        Assert.True(IsFault(typeof(FaultSwitch[])));
        Assert.True(IsFault(typeof(Func<FaultSwitch>)));
        Assert.False(IsFault(typeof(WriterOptions)));
    }

    /// <summary>A type of the Faults namespace, or any type named for a fault, also inside generics and arrays.</summary>
    private static bool IsFault(Type type)
    {
        if (type.HasElementType) return IsFault(type.GetElementType()!);
        if (type.IsGenericType && type.GetGenericArguments().Any(IsFault)) return true;
        return type.Namespace == typeof(FaultSwitch).Namespace || type.Name.Contains("Fault", StringComparison.Ordinal);
    }
}
