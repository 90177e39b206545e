using System.CommandLine;

namespace Cairn.Cli;

/// <summary>--from-repo (or --from-repository) and --from-password-file: the source repository of copy and init.</summary>
internal sealed class SourceRepositoryOptions
{
    private SourceRepositoryOptions(Option<string?> location) => Location = location;

    public Option<string?> Location { get; }

    public Option<string?> PasswordFile { get; } = new("--from-password-file")
    {
        Description = "Read the source repository's password from the first line of this file (also $CAIRN_FROM_PASSWORD_FILE; " +
                      "or $CAIRN_FROM_PASSWORD_COMMAND, $CAIRN_FROM_PASSWORD).",
        HelpName = "FILE",
    };

    /// <summary>Adds the options; <paramref name="name"/> is the option's main name, <paramref name="alias"/> the other spelling.</summary>
    public static SourceRepositoryOptions AddTo(Command command, string name, string alias, string description)
    {
        var options = new SourceRepositoryOptions(new Option<string?>(name, alias) { Description = description, HelpName = "SRC" });
        command.Add(options.Location);
        command.Add(options.PasswordFile);
        return options;
    }

    public bool IsGiven(Session session) => session.Get(Location) is not null;

    public RepositoryRole Read(Session session) => RepositoryRole.Source(session.Get(Location), session.Get(PasswordFile), Location.Name);
}
