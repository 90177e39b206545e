using System.CommandLine;

namespace Cairn.Cli.Commands;

/// <summary>cairn init: creates a repository, optionally sharing the master secret of another one.</summary>
internal static class InitCommand
{
    public static Command Create(CommandContext context)
    {
        var command = new Command("init",
            "Create a new repository at -r/$CAIRN_REPOSITORY, or the embedded default repository if none is given.\n" +
            "The password is taken as for every command; for the default repository with no password configured, one is\n" +
            "generated and saved in $XDG_CONFIG_HOME/cairn/password. The key derivation (Argon2id) is calibrated to take\n" +
            "about half a second on this machine. It is an error if a repository already exists there.\n\n" +
            "With --from-repository SRC the new repository is related to SRC: it shares SRC's master secret (wrapped under\n" +
            "the new repository's own password) and its chunker settings, so both compute the same ids and cut the same\n" +
            "chunks. 'cairn copy' between them then needs no translation (snapshots keep their ids), and backups made\n" +
            "directly into either deduplicate against data copied from the other. The trade-off: whoever holds both\n" +
            "repositories' stored data and a password of either one can read both. SRC's password comes from\n" +
            "--from-password-file, $CAIRN_FROM_PASSWORD_FILE, $CAIRN_FROM_PASSWORD_COMMAND or $CAIRN_FROM_PASSWORD; the\n" +
            "location only from the option ($CAIRN_FROM_REPOSITORY is not read, so a variable set for copy never makes a\n" +
            "plain init related by accident).\n\n" +
            "Examples:\n" +
            "  CAIRN_PASSWORD_FILE=~/.cairn-pass cairn -r /mnt/backup/cairn init\n" +
            "  cairn -r /mnt/offsite init --from-repository /srv/backup/repo --from-password-file /root/.cairn-pass\n" +
            "  cairn init --json");
        var from = SourceRepositoryOptions.AddTo(command, "--from-repository", "--from-repo",
            "Share the master secret and chunker settings of this existing repository (see above).");
        context.SetAction(command, async (session, ct) =>
        {
            var location = RepositoryAccess.Locate(session);
            Cairn.Snapshots.Repository? source = null;
            try
            {
                if (from.IsGiven(session))
                {
                    var sourceLocation = RepositoryAccess.Locate(session, from.Read(session) with { ReadsLocationVariable = false });
                    // Same folder twice would "init" over the source: refused here with the usual message by InitAsync,
                    // but only after asking for its password, so check the cheap way first.
                    if (sourceLocation.Address == location.Address)
                        throw new CairnException($"the new repository and {from.Location.Name} are the same location ({location.Display})", ExitCode.Usage);
                    source = await RepositoryAccess.OpenAsync(session, sourceLocation, ct).ConfigureAwait(false);
                }
                await using var repository = await RepositoryAccess.CreateAsync(session, location, ct, source).ConfigureAwait(false);
                if (session.Json)
                {
                    session.WriteJson(new
                    {
                        MessageType = "initialized", Id = repository.Config.Id, Repository = location.Display, KeyId = repository.KeyId,
                        SharesSecretWith = source is null ? null : source.Blobs.Location,
                    });
                }
                else
                {
                    session.Info($"created repository {repository.Config.Id[..10]} at {location.Display}");
                    if (source is not null)
                        session.Info($"it shares the master secret and chunker settings of {source.Blobs.Location}: copy between them keeps ids");
                }
                return 0;
            }
            finally
            {
                if (source is not null) await source.DisposeAsync().ConfigureAwait(false);
            }
        });
        return command;
    }
}
