using Cairn.Orchestration.Config;
using Cairn.Platform;

namespace Cairn.Cli;

/// <summary>The one place exceptions become a one-line message on stderr and an exit code.</summary>
internal static class ErrorReporter
{
    public static int Report(Exception error, CliEnvironment env, bool verbose, CancellationToken cancellation)
    {
        while (error is AggregateException { InnerExceptions.Count: 1 } aggregate) error = aggregate.InnerExceptions[0];
        if (error is ConfigException config)
        {
            // Every problem of a config file, one per line, so all of them can be fixed in one go.
            foreach (var problem in config.Problems) env.Error.WriteLine("cairn: " + OneLine(problem.ToString()));
            return (int)config.ExitCode;
        }
        var (message, code) = error switch
        {
            OperationCanceledException when cancellation.IsCancellationRequested => ("interrupted", ExitCode.Interrupted),
            CairnException e => (e.Message, e.ExitCode),
            IOException e when IsDiskFull(e) => ("the disk is full: " + e.Message, ExitCode.StorageFull),
            _ => ($"internal error: {error.GetType().FullName}: {error.Message}", ExitCode.Failure),
        };
        env.Error.WriteLine("cairn: " + OneLine(message));
        if (verbose || env.IsSet("CAIRN_DEBUG"))
            env.Error.WriteLine(error.ToString());
        return (int)code;
    }

    private static bool IsDiskFull(IOException e) => Errno.IsStorageFull(e.HResult & 0xFFFF);

    private static string OneLine(string message) => message.ReplaceLineEndings(" ").Trim();
}
