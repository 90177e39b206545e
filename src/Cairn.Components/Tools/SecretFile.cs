using System.Security.Cryptography;
using System.Text;

namespace Cairn.Components.Tools;

/// <summary>
/// A temporary file readable only by this user (0600 from the moment it exists), holding a secret a tool reads from a
/// file (mongodump's --config, a .pgpass, …); deleted on dispose. Its path, not its content, goes on the command line.
/// </summary>
public sealed class SecretFile : IDisposable
{
    private SecretFile(string path) => Path = path;

    /// <summary>The file's full path.</summary>
    public string Path { get; }

    /// <summary>Creates the file in the temporary directory with <paramref name="content"/> (UTF-8, no BOM).</summary>
    public static SecretFile Create(string content, string suffix = "")
    {
        ArgumentNullException.ThrowIfNull(content);
        var path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"cairn-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12))}{suffix}");
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
        // Created with the mode, never chmod-ed after: there is no moment when others could open it.
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using (var stream = new FileStream(path, options))
        {
            stream.Write(new UTF8Encoding(false).GetBytes(content));
        }

        return new SecretFile(path);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        try
        {
            File.Delete(Path);
        }
        catch (IOException)
        {
            // The temporary directory's cleaner gets it; a failed delete must not hide the tool's result.
        }
    }
}
