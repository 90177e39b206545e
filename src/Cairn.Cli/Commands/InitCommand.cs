using System.CommandLine;

namespace Cairn.Cli.Commands;

/// <summary>cairn init: creates a repository.</summary>
internal static class InitCommand
{
    public static Command Create(CommandContext context)
    {
        var command = new Command("init",
            "Create a new repository at -r/$CAIRN_REPOSITORY, or the embedded default repository if none is given.\n" +
            "The password is taken as for every command; for the default repository with no password configured, one is\n" +
            "generated and saved in $XDG_CONFIG_HOME/cairn/password. The key derivation (Argon2id) is calibrated to take\n" +
            "about half a second on this machine. It is an error if a repository already exists there.\n\n" +
            "Examples:\n" +
            "  CAIRN_PASSWORD_FILE=~/.cairn-pass cairn -r /mnt/backup/cairn init\n" +
            "  cairn init --json");
        context.SetAction(command, async (session, ct) =>
        {
            var location = RepositoryAccess.Locate(session);
            await using var repository = await RepositoryAccess.CreateAsync(session, location, ct).ConfigureAwait(false);
            if (session.Json)
                session.WriteJson(new { MessageType = "initialized", Id = repository.Config.Id, Repository = location.Path, KeyId = repository.KeyId });
            else
                session.Info($"created repository {repository.Config.Id[..10]} at {location.Path}");
            return 0;
        });
        return command;
    }
}
