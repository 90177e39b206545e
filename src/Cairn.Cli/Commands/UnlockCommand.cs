using System.CommandLine;
using Cairn.Snapshots.Locking;

namespace Cairn.Cli.Commands;

/// <summary>cairn unlock: lists the repository's locks and removes the stale ones (or, on request, all of them).</summary>
internal static class UnlockCommand
{
    public static Command Create(CommandContext context)
    {
        var removeAll = new Option<bool>("--remove-all")
        {
            Description = "Remove every lock, also live ones and unreadable ones. Only when you are sure no other cairn uses the repository:\n" +
                          "an operation whose lock is removed stops at its next lease refresh, but may already have been overtaken.",
        };
        var dryRun = new Option<bool>("--dry-run", "-n") { Description = "Only list the locks and what would be removed." };
        var command = new Command("unlock",
            "Remove stale locks. A lock is stale when its lease expired (its holder stopped refreshing it for 30 minutes) or\n" +
            "when its holder ran on this host and that process is gone. Live locks stay; an unreadable lock file is kept and\n" +
            "reported. Other commands clear stale locks by themselves; unlock is for looking, and for --remove-all.\n\n" +
            "Examples:\n" +
            "  cairn unlock\n" +
            "  cairn unlock --dry-run --json\n" +
            "  cairn unlock --remove-all");
        command.Add(removeAll);
        command.Add(dryRun);
        context.SetAction(command, async (session, ct) =>
        {
            await using var repository = await RepositoryAccess.OpenAsync(session, ct, loadIndex: false).ConfigureAwait(false);
            var all = session.Get(removeAll);
            var dry = session.Get(dryRun);
            var entries = await RepositoryLock.ListAsync(repository, session.Env.Time, new LockOptions().Hostname, ct).ConfigureAwait(false);
            var now = session.Env.Time.GetUtcNow();
            var results = new List<(LockEntry Entry, bool Removed)>();
            foreach (var entry in entries.OrderBy(e => e.File?.Created ?? DateTimeOffset.MinValue))
            {
                bool remove = all || entry.Status == LockStatus.Stale;
                if (remove && !dry) await RepositoryLock.RemoveAsync(repository, entry, ct).ConfigureAwait(false);
                results.Add((entry, remove && !dry));
                var verb = remove ? dry ? "would remove" : "removed" : "kept";
                session.Info($"{verb} {entry.Status.ToString().ToLowerInvariant()} lock {entry.ShortId}: {Describe(entry, now)}");
            }
            if (session.Json)
            {
                session.WriteJson(results.Select(r => new
                {
                    Id = r.Entry.Name.Name,
                    ShortId = r.Entry.ShortId,
                    Status = r.Entry.Status.ToString().ToLowerInvariant(),
                    r.Entry.Reason,
                    r.Removed,
                    Kind = r.Entry.File is { } f ? (f.EffectiveKind == LockKind.Exclusive ? "exclusive" : "shared") : null,
                    r.Entry.File?.Hostname,
                    r.Entry.File?.Pid,
                    r.Entry.File?.Username,
                    r.Entry.File?.Command,
                    r.Entry.File?.Created,
                    r.Entry.File?.Refreshed,
                    r.Entry.File?.Expires,
                }).ToList());
                return 0;
            }
            int kept = results.Count(r => !all && r.Entry.Status != LockStatus.Stale);
            session.Info(entries.Count == 0 ? "the repository has no locks"
                : dry ? $"dry run: nothing removed ({kept} locks would stay)"
                : $"{results.Count(r => r.Removed)} locks removed, {kept} kept");
            return 0;
        });
        return command;
    }

    private static string Describe(LockEntry entry, DateTimeOffset now) =>
        entry.File is null ? entry.Describe(now) : $"{entry.File.Describe(now)}: {entry.Reason}";
}
