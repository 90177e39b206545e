namespace Cairn.Cli;

/// <summary>What one run of the CLI talks to: its streams, environment and terminal. Tests supply their own.</summary>
internal sealed class CliEnvironment
{
    public CliEnvironment(Stream stdout, TextWriter stderr, IDictionary<string, string?> variables, bool interactive, bool stderrIsTerminal)
    {
        StdoutStream = stdout;
        Out = new StreamWriter(stdout, new System.Text.UTF8Encoding(false), 64 * 1024, leaveOpen: true);
        Error = stderr;
        Variables = variables;
        Interactive = interactive;
        StderrIsTerminal = stderrIsTerminal;
    }

    /// <summary>Raw standard output, for binary output (dump). Flush <see cref="Out"/> before writing to it.</summary>
    public Stream StdoutStream { get; }

    public TextWriter Out { get; }

    public TextWriter Error { get; }

    public IDictionary<string, string?> Variables { get; }

    /// <summary>Standard input is a terminal, so passwords may be prompted for.</summary>
    public bool Interactive { get; }

    /// <summary>Standard error is a terminal, so a live progress display is allowed there.</summary>
    public bool StderrIsTerminal { get; }

    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>
    /// Cancelled by the first Ctrl-C or SIGTERM when the running command stops gracefully (<see cref="StopsGracefully"/>:
    /// job run and the daemon checkpoint instead of dropping their work); a second signal interrupts as usual.
    /// </summary>
    public CancellationTokenSource GracefulStop { get; } = new();

    /// <summary>Set by a command that handles <see cref="GracefulStop"/>.</summary>
    public bool StopsGracefully { get; set; }

    /// <summary>What a Ctrl-C or SIGTERM does: the first asks a graceful command to stop; otherwise it interrupts.</summary>
    public void Signal(CancellationTokenSource interrupt)
    {
        if (StopsGracefully && !GracefulStop.IsCancellationRequested)
        {
            Error.WriteLine("cairn: stopping gracefully (signal again to interrupt at once)");
            GracefulStop.Cancel();
        }
        else interrupt.Cancel();
    }

    /// <summary>
    /// Tests only: opens the store for a location string instead of <see cref="StoreLocations"/>, so the CLI can run over a
    /// store double (an in-memory store with archive classes). Set only by in-process tests through this internal
    /// property: no option, variable or location string reaches it.
    /// </summary>
    internal Func<string, Cairn.Storage.IBlobStore>? StoreOverride { get; init; }

    /// <summary>Tests only: the component types configs bind to instead of the built-in catalog (null: the catalog).</summary>
    internal IReadOnlyList<Cairn.Components.ComponentType>? ComponentTypes { get; init; }

    public string? Get(string name) => Variables.TryGetValue(name, out var v) && !string.IsNullOrEmpty(v) ? v : null;

    public bool IsSet(string name) => Get(name) is { } v && v != "0";

    private readonly List<IAsyncDisposable> _owned = [];

    /// <summary>
    /// Keeps <paramref name="resource"/> (a remote store: its connections, an rclone child) until the run ends, then
    /// disposes it: commands hand stores to repositories, which do not own them.
    /// </summary>
    public T DisposeWhenDone<T>(T resource)
        where T : IAsyncDisposable
    {
        lock (_owned) _owned.Add(resource);
        return resource;
    }

    /// <summary>Disposes what <see cref="DisposeWhenDone"/> kept, newest first.</summary>
    public async ValueTask DisposeOwnedAsync()
    {
        IAsyncDisposable[] owned;
        lock (_owned)
        {
            owned = [.. _owned];
            _owned.Clear();
        }
        for (int i = owned.Length - 1; i >= 0; i--) await owned[i].DisposeAsync().ConfigureAwait(false);
    }
}
