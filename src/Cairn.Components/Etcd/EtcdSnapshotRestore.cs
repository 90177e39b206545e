using Cairn.Components.Tools;

namespace Cairn.Components.Etcd;

/// <summary>
/// Makes a new member data directory from a stored snapshot with <c>etcdctl snapshot restore</c> (etcd 3.4; 3.5 moved
/// it to etcdutl). etcdctl reads the snapshot only from a file, so it is written to a private (0600) file beside the
/// target first and deleted afterwards; the target is on that file system anyway.
/// </summary>
internal static class EtcdSnapshotRestore
{
    /// <summary>The Debian package with etcdctl.</summary>
    public const string DebianPackage = "etcd-client";

    /// <summary>
    /// The etcdctl command that restores <paramref name="snapshotFile"/> into <paramref name="dataDir"/>, as member
    /// <paramref name="memberName"/> of a new one-member cluster (etcd's defaults when null).
    /// </summary>
    public static ToolCommand Command(string snapshotFile, string dataDir, string? memberName)
    {
        List<string> arguments = ["snapshot", "restore", snapshotFile, "--data-dir", dataDir];
        if (memberName is not null)
            arguments.AddRange(["--name", memberName, "--initial-cluster", $"{memberName}=http://localhost:2380", "--initial-advertise-peer-urls", "http://localhost:2380"]);
        return new ToolCommand
        {
            Program = "etcdctl",
            Arguments = arguments,
            Environment = new Dictionary<string, string> { ["ETCDCTL_API"] = "3" },
            DebianPackage = DebianPackage,
            // etcdctl logs JSON lines on stderr ("level":"info", with paths that may contain any word); failure is its exit status.
            IsErrorLine = line => line.Contains("\"level\":\"error\"", StringComparison.Ordinal) || line.Contains("\"level\":\"fatal\"", StringComparison.Ordinal),
        };
    }

    /// <summary>Restores <paramref name="snapshot"/> into the new directory <paramref name="dataDir"/> (missing or empty).</summary>
    public static async Task RunAsync(Stream snapshot, string dataDir, string? memberName, CancellationToken cancellationToken)
    {
        dataDir = Path.GetFullPath(dataDir);
        if (Directory.Exists(dataDir))
        {
            if (Directory.EnumerateFileSystemEntries(dataDir).Any())
                throw new CairnException($"etcd: {dataDir} is not empty; restore a snapshot into a new data directory", ExitCode.Usage);
            Directory.Delete(dataDir); // etcdctl refuses a data directory that exists, even an empty one
        }
        else if (File.Exists(dataDir))
        {
            throw new CairnException($"etcd: {dataDir} is a file; restore a snapshot into a new data directory", ExitCode.Usage);
        }
        // Before writing the snapshot out: a missing etcdctl is then a message naming its package, not a wasted copy.
        await ToolRunner.RunCapturingAsync(Command(snapshotFile: "", dataDir, memberName) with { Arguments = ["version"] }, cancellationToken).ConfigureAwait(false);
        var parent = Path.GetDirectoryName(dataDir)!;
        Directory.CreateDirectory(parent);
        var temporary = Path.Combine(parent, $".cairn-etcd-snapshot-{Guid.NewGuid():N}.db");
        try
        {
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Options = FileOptions.Asynchronous };
            if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            await using (var file = new FileStream(temporary, options))
            {
                await snapshot.CopyToAsync(file, cancellationToken).ConfigureAwait(false);
            }
            await ToolRunner.RunCapturingAsync(Command(temporary, dataDir, memberName), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            File.Delete(temporary);
        }
    }
}
