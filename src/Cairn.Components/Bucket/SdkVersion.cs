using System.Reflection;

namespace Cairn.Components.Bucket;

/// <summary>The version of the SDK assembly that holds a type, for the manifest's Tool field.</summary>
internal static class SdkVersion
{
    public static string Of(Type type)
    {
        var assembly = type.Assembly;
        var informational = assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion;
        // Drop the "+commit" build metadata some packages append.
        return (informational?.Split('+')[0] ?? assembly.GetName().Version?.ToString() ?? "unknown");
    }
}
