using System.Globalization;
using System.Reflection;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace Cairn.Benchmarks;

/// <summary>How many bytes one invocation of a benchmark method processes, for the MB/s column.</summary>
[AttributeUsage(AttributeTargets.Method)]
internal sealed class BytesAttribute(long bytes) : Attribute
{
    public long Bytes { get; } = bytes;
}

/// <summary>Throughput in MB/s (10^6 bytes per second) from the mean time and the method's [Bytes].</summary>
internal sealed class ThroughputColumn : IColumn
{
    public string Id => nameof(ThroughputColumn);
    public string ColumnName => "MB/s";
    public bool AlwaysShow => true;
    public ColumnCategory Category => ColumnCategory.Statistics;
    public int PriorityInCategory => 10;
    public bool IsNumeric => true;
    public UnitType UnitType => UnitType.Dimensionless;
    public string Legend => "Throughput in 10^6 bytes per second, from the mean";

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        var bytes = benchmarkCase.Descriptor.WorkloadMethod.GetCustomAttribute<BytesAttribute>()?.Bytes;
        var mean = summary[benchmarkCase]?.ResultStatistics?.Mean; // nanoseconds per operation
        if (bytes is null || mean is null or <= 0) return "-";
        return (bytes.Value / mean.Value * 1e3).ToString("N0", CultureInfo.InvariantCulture);
    }

    public bool IsAvailable(Summary summary) => true;
    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
}

/// <summary>Adds the MB/s column to every benchmark class that uses it.</summary>
internal sealed class ThroughputConfig : ManualConfig
{
    public ThroughputConfig() => AddColumn(new ThroughputColumn());
}
