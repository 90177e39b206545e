using System.CommandLine;
using Cairn.Content;
using Cairn.Snapshots.Locking;

namespace Cairn.Cli.Commands.Key;

/// <summary>cairn key: manages the passwords (key files) that open the repository.</summary>
internal static class KeyCommand
{
    public static Command Create(CommandContext context)
    {
        var command = new Command("key",
            "Manage the passwords that open the repository. Each key file wraps the repository's master key with one\n" +
            "password; any of them opens it.\n\n" +
            "Examples:\n" +
            "  cairn key list\n" +
            "  cairn key add --new-password-file ~/colleague.pass\n" +
            "  cairn key remove 5e1c9a7b\n" +
            "  cairn key passwd --new-password-file ~/new.pass");
        command.Add(CreateList(context));
        command.Add(CreateAdd(context));
        command.Add(CreateRemove(context));
        command.Add(CreatePasswd(context));
        return command;
    }

    private static Command CreateList(CommandContext context)
    {
        var command = new Command("list", "List the keys: id, when and where each was added, its KDF cost; '*' marks the key that opened the repository.\n\nExample:\n  cairn key list --json");
        context.SetAction(command, async (session, ct) =>
        {
            await using var repository = await RepositoryAccess.OpenAsync(session, ct, loadIndex: false).ConfigureAwait(false);
            var keys = await RepositoryKeys.ListAsync(repository.Blobs, ct).ConfigureAwait(false);
            if (session.Json)
            {
                session.WriteJson(keys.Select(k => new
                {
                    Current = k.Id == repository.KeyId,
                    k.Id,
                    ShortId = k.Id[..8],
                    Created = k.File.Created,
                    Hostname = k.File.Hostname,
                    Username = k.File.Username,
                    Kdf = new { Algorithm = "argon2id", k.File.Kdf.MemoryKiB, k.File.Kdf.Iterations, k.File.Kdf.Parallelism },
                }).ToList());
                return 0;
            }
            var rows = keys.Select(k => new[]
            {
                (k.Id == repository.KeyId ? "*" : " ") + k.Id[..8], Format.LocalTime(k.File.Created), k.File.Hostname, k.File.Username,
                $"argon2id m={k.File.Kdf.MemoryKiB / 1024}MiB t={k.File.Kdf.Iterations} p={k.File.Kdf.Parallelism}",
            }).ToList();
            TextTable.Write(session.Out, [" ID", "Created", "Host", "User", "KDF"], rows);
            return 0;
        });
        return command;
    }

    private static Option<string?> NewPasswordFileOption() =>
        new("--new-password-file") { Description = "Read the new password from the first line of this file (else it is prompted for twice)." };

    private static Command CreateAdd(CommandContext context)
    {
        var newFile = NewPasswordFileOption();
        var command = new Command("add", "Add a password that opens the repository.\n\nExample:\n  cairn key add --new-password-file ~/colleague.pass") { newFile };
        context.SetAction(command, async (session, ct) =>
        {
            // Shared: adding a key conflicts only with removing keys (exclusive), which checks that one key remains.
            await using var repository = await RepositoryAccess.OpenAsync(session, ct, LockKind.Shared, loadIndex: false).ConfigureAwait(false);
            var id = await AddKeyAsync(session, repository, session.Get(newFile), ct).ConfigureAwait(false);
            if (session.Json) session.WriteJson(new { MessageType = "key_added", Id = id });
            else session.Info($"added key {id[..8]}");
            return 0;
        });
        return command;
    }

    private static Command CreateRemove(CommandContext context)
    {
        var idArg = new Argument<string>("ID") { Description = "The key's id or a unique prefix of it (from cairn key list)." };
        var command = new Command("remove", "Remove a key: its password no longer opens the repository. The key in use and the last key cannot be removed.\n" +
            "Takes an exclusive lock, so it waits for running backups (see --retry-lock).\n\nExample:\n  cairn key remove 5e1c9a7b") { idArg };
        context.SetAction(command, async (session, ct) =>
        {
            // Exclusive: two removals at once could each see the other's key as the one that remains.
            await using var repository = await RepositoryAccess.OpenAsync(session, ct, LockKind.Exclusive, loadIndex: false).ConfigureAwait(false);
            var keys = await RepositoryKeys.ListAsync(repository.Blobs, ct).ConfigureAwait(false);
            var prefix = session.Get(idArg).ToLowerInvariant();
            var matches = keys.Where(k => k.Id.StartsWith(prefix, StringComparison.Ordinal)).ToList();
            if (matches.Count == 0) throw new CairnException($"no key has an id starting with '{prefix}'", ExitCode.NotFound);
            if (matches.Count > 1) throw new CairnException($"'{prefix}' matches {matches.Count} keys: give more digits", ExitCode.Usage);
            var id = matches[0].Id;
            if (id == repository.KeyId && keys.Count > 1)
                throw new CairnException("refusing to remove the key in use: open the repository with another password, or use 'cairn key passwd'", ExitCode.Usage);
            repository.Lease!.EnsureValid();
            await RepositoryKeys.RemoveAsync(repository.Blobs, id, ct).ConfigureAwait(false);
            if (session.Json) session.WriteJson(new { MessageType = "key_removed", Id = id });
            else session.Info($"removed key {id[..8]}");
            return 0;
        });
        return command;
    }

    private static Command CreatePasswd(CommandContext context)
    {
        var newFile = NewPasswordFileOption();
        var command = new Command("passwd", "Change the password: add a key for the new password, then remove the key that opened the repository.\n" +
            "Takes an exclusive lock, like key remove.\n\nExample:\n  cairn key passwd --new-password-file ~/new.pass") { newFile };
        context.SetAction(command, async (session, ct) =>
        {
            await using var repository = await RepositoryAccess.OpenAsync(session, ct, LockKind.Exclusive, loadIndex: false).ConfigureAwait(false);
            var id = await AddKeyAsync(session, repository, session.Get(newFile), ct).ConfigureAwait(false);
            repository.Lease!.EnsureValid();
            await RepositoryKeys.RemoveAsync(repository.Blobs, repository.KeyId, ct).ConfigureAwait(false);
            if (session.Json) session.WriteJson(new { MessageType = "password_changed", Id = id, Removed = repository.KeyId });
            else session.Info($"password changed: added key {id[..8]}, removed key {repository.KeyId[..8]}");
            return 0;
        });
        return command;
    }

    private static Task<string> AddKeyAsync(Session session, Snapshots.Repository repository, string? newPasswordFile, CancellationToken ct)
    {
        var password = Passwords.ResolveNew(session, newPasswordFile);
        return RepositoryKeys.AddAsync(repository.Blobs, repository.MasterKey, password, RepositoryAccess.NewKeyKdf(session), session.Env.Time.GetUtcNow(), ct);
    }
}
