using System.CommandLine;
using System.Runtime.InteropServices;
using Cairn.Cli.Commands;
using Cairn.Cli.Commands.Key;

namespace Cairn.Cli;

/// <summary>The cairn command: parses the command line, runs one command, and maps the outcome to an exit code.</summary>
public static class Program
{
    /// <summary>Entry point of the cairn executable.</summary>
    public static async Task<int> Main(string[] args)
    {
        _ = CrashPoints.IsArmed; // reads CAIRN_TEST_CRASH_AT now: a malformed value stops the process before it writes anything
        using var interrupt = new CancellationTokenSource();
        var variables = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (System.Collections.DictionaryEntry e in Environment.GetEnvironmentVariables()) variables[(string)e.Key] = (string?)e.Value;
        await using var stdout = Console.OpenStandardOutput();
        var env = new CliEnvironment(stdout, Console.Error, variables, interactive: !Console.IsInputRedirected, stderrIsTerminal: !Console.IsErrorRedirected);
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            env.Signal(interrupt);
        };
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
        {
            context.Cancel = true;
            env.Signal(interrupt);
        });
        return await RunAsync(args, env, interrupt.Token).ConfigureAwait(false);
    }

    /// <summary>
    /// Runs the CLI in-process, as tests do: output goes to <paramref name="stdout"/> (bytes, so dump output is exact) and
    /// <paramref name="stderr"/>, and the environment is <paramref name="environment"/> instead of the process's.
    /// There is no terminal, so nothing prompts and no progress display is drawn.
    /// </summary>
    public static Task<int> RunAsync(string[] args, Stream stdout, TextWriter stderr, IDictionary<string, string?> environment,
        CancellationToken cancellationToken = default) =>
        RunAsync(args, new CliEnvironment(stdout, stderr, environment, interactive: false, stderrIsTerminal: false), cancellationToken);

    /// <summary>Runs the CLI in an environment a test built (with its own clock or store double).</summary>
    internal static async Task<int> RunAsync(string[] args, CliEnvironment env, CancellationToken cancellationToken)
    {
        var globals = new GlobalOptions();
        var root = BuildRoot(env, globals);
        var parse = root.Parse(args);
        bool verbose = parse.GetValue(globals.Verbose);
        try
        {
            if (parse.Errors.Count > 0)
            {
                foreach (var error in parse.Errors) env.Error.WriteLine("cairn: " + error.Message);
                env.Error.WriteLine("cairn: run 'cairn --help' (or 'cairn COMMAND --help') for usage");
                return (int)ExitCode.Usage;
            }
            var invocation = new InvocationConfiguration
            {
                Output = env.Out,
                Error = env.Error,
                EnableDefaultExceptionHandler = false,
                ProcessTerminationTimeout = null, // Main handles Ctrl-C and SIGTERM itself
            };
            return await parse.InvokeAsync(invocation, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            await env.Out.FlushAsync(CancellationToken.None).ConfigureAwait(false);
            return ErrorReporter.Report(e, env, verbose, cancellationToken);
        }
        finally
        {
            await env.Out.FlushAsync(CancellationToken.None).ConfigureAwait(false);
            await env.DisposeOwnedAsync().ConfigureAwait(false);
        }
    }

    private static RootCommand BuildRoot(CliEnvironment env, GlobalOptions globals)
    {
        var root = new RootCommand(
            "Cairn backs up directories into an encrypted, deduplicated, compressed repository and restores them.\n\n" +
            "With no repository configured (-r or $CAIRN_REPOSITORY), cairn uses an embedded repository in\n" +
            "$XDG_DATA_HOME/cairn/repository, created by the first backup with a generated password saved in\n" +
            "$XDG_CONFIG_HOME/cairn/password. The password comes from --password-file, $CAIRN_PASSWORD_FILE,\n" +
            "$CAIRN_PASSWORD_COMMAND (first line of its output) or $CAIRN_PASSWORD, in that order, else a prompt.\n\n" +
            "Examples:\n" +
            "  cairn backup ~/projects\n" +
            "  cairn -r /mnt/backup init && cairn -r /mnt/backup backup /etc /srv\n" +
            "  cairn snapshots\n" +
            "  cairn restore latest --target /tmp/restored\n\n" +
            ExitCodes.Describe());
        globals.AddTo(root);
        // The built-in --version shows the entry assembly's version, which is the test host's when run in-process.
        foreach (var builtIn in root.Options.OfType<VersionOption>().ToList()) root.Options.Remove(builtIn);
        var version = new Option<bool>("--version") { Description = "Show the version and exit." };
        root.Add(version);
        root.SetAction(parse =>
        {
            if (parse.GetValue(version))
            {
                env.Out.WriteLine("cairn " + ProgramInfo.Version);
                return 0;
            }
            env.Error.WriteLine("cairn: no command given: run 'cairn --help' for the list of commands");
            return (int)ExitCode.Usage;
        });
        var context = new CommandContext(env, globals);
        root.Add(InitCommand.Create(context));
        root.Add(BackupCommand.Create(context));
        root.Add(SnapshotsCommand.Create(context));
        root.Add(LsCommand.Create(context));
        root.Add(RestoreCommand.Create(context));
        root.Add(DumpCommand.Create(context));
        root.Add(ExportCommand.Create(context));
        root.Add(DiffCommand.Create(context));
        root.Add(StatsCommand.Create(context));
        root.Add(PruneCommand.Create(context));
        root.Add(KeyCommand.Create(context));
        root.Add(ForgetCommand.Create(context));
        root.Add(CheckCommand.Create(context));
        root.Add(Commands.Repair.RepairCommand.Create(context));
        root.Add(UnlockCommand.Create(context));
        root.Add(CopyCommand.Create(context));
        root.Add(Commands.Job.JobCommand.Create(context));
        root.Add(Commands.Config.ConfigCommand.Create(context));
        root.Add(DaemonCommand.Create(context));
        root.Add(Commands.Schedule.ScheduleCommand.Create(context));
        root.Add(Commands.Deploy.DeployCommand.Create(context));
        root.Add(StatusCommand.Create(context));
        return root;
    }
}
