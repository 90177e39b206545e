using System.Text;
using Cairn.Orchestration.Config;
using Cairn.Snapshots;
using Cairn.Snapshots.Locking;

namespace Cairn.Cli;

/// <summary>Opens the repository of a config target: its location and its password (inline, password_file or password_command).</summary>
internal static class TargetAccess
{
    /// <summary>
    /// Opens (and optionally locks) the target's repository; errors name the target. Packs written through it get the
    /// target's data_storage_class: a job writes to several targets, and the archive tier's is the cold one, so a
    /// target's own class wins over --data-storage-class/$CAIRN_DATA_STORAGE_CLASS, which apply to targets without one.
    /// </summary>
    public static Task<Repository> OpenAsync(Session session, TargetDefinition target, LockKind? lockKind, CancellationToken cancellationToken,
        bool loadIndex = true)
    {
        var role = new RepositoryRole($"target '{target.Name}'", $"targets.{target.Name}.repository in the config", target.Repository,
            "password_file", null, "CAIRN_", HasDefault: false) { ReadsLocationVariable = false };
        var location = RepositoryAccess.Locate(session, role);
        var transfer = target.DataStorageClass is { } storageClass ? session.Transfer with { DataStorageClass = storageClass } : session.Transfer;
        return RepositoryAccess.OpenAsync(session, location, cancellationToken, lockKind, loadIndex, () => Password(session, target), transfer);
    }

    private static byte[] Password(Session session, TargetDefinition target) =>
        target.Password is { } password ? Encoding.UTF8.GetBytes(password)
        : target.PasswordCommand is { } command ? Passwords.RunCommand(command, session.Env)
        : throw new CairnException($"target '{target.Name}' has no password: give it password, password_file or password_command in the config", ExitCode.Usage);
}
