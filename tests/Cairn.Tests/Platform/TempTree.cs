using Cairn.Platform;

namespace Cairn.Tests.Platform;

/// <summary>A fresh directory under the system temp directory, removed with everything below it (however deep) on dispose.</summary>
internal sealed class TempTree : IDisposable
{
    private readonly byte[] _name;

    public TempTree()
    {
        _name = PathBytes.FromString("cairn-platform-" + Guid.NewGuid().ToString("N"));
        using (var temp = DirectoryHandle.Open(System.IO.Path.GetTempPath()))
        {
            temp.CreateDirectory(_name, Octal.Of(700));
        }
        Root = DirectoryHandle.Open(PathBytes.Join(PathBytes.FromString(System.IO.Path.GetTempPath()), _name));
    }

    /// <summary>The temp directory, open.</summary>
    public DirectoryHandle Root { get; }

    /// <summary>The temp directory's path.</summary>
    public byte[] Path => Root.Path;

    public void Dispose()
    {
        Root.Dispose();
        using var temp = DirectoryHandle.Open(System.IO.Path.GetTempPath());
        temp.DeleteTree(_name);
    }
}

/// <summary>Writes modes the way people read them: Octal.Of(4755) is 04755.</summary>
internal static class Octal
{
    public static uint Of(int digits) => Convert.ToUInt32(digits.ToString(System.Globalization.CultureInfo.InvariantCulture), 8);
}
