using System.Reflection;

namespace Cairn;

/// <summary>The running program's version, as recorded in snapshots and shown by --version.</summary>
public static class ProgramInfo
{
    /// <summary>The informational version without build metadata, e.g. "0.1.0".</summary>
    public static string Version { get; } =
        (typeof(ProgramInfo).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0").Split('+')[0];
}
