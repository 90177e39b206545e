using System.CommandLine;
using System.Globalization;
using Cairn.Content;
using Cairn.Storage;

namespace Cairn.Cli;

/// <summary>
/// --thaw, --thaw-days, --thaw-priority and --thaw-wait, on the commands that read pack contents (restore, dump, copy,
/// check --read-data, prune when it repacks), and the step they run before reading: find the archived packs they need
/// (from the listing and stat, not by failing on a read), say so in one line, then stop with exit code 20 before writing
/// anything, or request thaws and wait for them with a progress line per poll.
/// </summary>
internal sealed class ThawSettings
{
    private static readonly string[] s_priorities = ["Expedited", "Standard", "Bulk"];

    public Option<bool> Thaw { get; } = new("--thaw")
    {
        Description = "When data the command needs is in an archive class (S3 GLACIER or DEEP_ARCHIVE, Azure Archive), request a " +
                      "thaw of those packs and wait until they are readable, then go on. Without it the command stops with exit " +
                      "code 20 before writing anything, saying how many packs and bytes are cold.",
    };

    public Option<int> Days { get; } = new("--thaw-days")
    {
        Description = "With --thaw: days the thawed copies stay readable (S3; Azure moves rehydrated blobs back to a hot tier for good). Default 7.",
        HelpName = "N",
        DefaultValueFactory = _ => 7,
    };

    public Option<string> Priority { get; } = new("--thaw-priority")
    {
        Description = "With --thaw: retrieval speed and price. Expedited (S3 GLACIER: minutes; Azure: High), Standard (S3 GLACIER: " +
                      "3-5 hours, DEEP_ARCHIVE: up to 12; Azure: up to 15 hours) or Bulk (cheapest, S3 only: 5-12 hours, up to 48 for " +
                      "DEEP_ARCHIVE; Standard on Azure). Default Standard.",
        HelpName = "PRIORITY",
        DefaultValueFactory = _ => "Standard",
    };

    public Option<string?> Wait { get; } = new("--thaw-wait")
    {
        Description = "With --thaw: wait at most this long (e.g. 30m, 6h, 2d) for the thaws, then stop with exit code 20; the thaws go " +
                      "on, and running the command again later picks them up. 0 only requests them. Default: wait until done.",
        HelpName = "DURATION",
    };

    public static ThawSettings AddTo(Command command)
    {
        var settings = new ThawSettings();
        command.Add(settings.Thaw);
        command.Add(settings.Days);
        command.Add(settings.Priority);
        command.Add(settings.Wait);
        return settings;
    }

    /// <summary>Rejects bad --thaw-days, --thaw-priority and --thaw-wait values up front, for commands that may not reach a read.</summary>
    public void Validate(Session session) => ReadRequest(session);

    /// <summary>True when --thaw was given.</summary>
    public bool Enabled(Session session) => session.Get(Thaw);

    /// <summary>
    /// Makes the packs that <paramref name="findPacks"/> names readable before <paramref name="what"/> reads them (see the
    /// class summary). The packs are only looked for when the store has archive classes at all, so a local repository
    /// pays nothing.
    /// </summary>
    public async Task EnsurePacksReadableAsync(Session session, IBlobStore store, Func<CancellationToken, Task<IReadOnlyCollection<ObjectId>>> findPacks,
        string what, CancellationToken cancellationToken)
    {
        var request = ReadRequest(session); // usage errors first, whatever the store
        if (!ColdData.CanArchive(store)) return;
        var packs = await findPacks(cancellationToken).ConfigureAwait(false);
        var archived = await ColdData.FindArchivedAsync(store, [.. packs.Select(ContentStore.PackName)], cancellationToken).ConfigureAwait(false);
        await HandleAsync(session, store, archived, request, what, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The same, for packs the caller has listing entries of (check --read-data, prune).</summary>
    public async Task EnsureListedReadableAsync(Session session, IBlobStore store, IEnumerable<BlobInfo> packs, string what, CancellationToken cancellationToken)
    {
        var request = ReadRequest(session);
        var archived = await ColdData.FindArchivedAsync(store, packs, cancellationToken).ConfigureAwait(false);
        await HandleAsync(session, store, archived, request, what, cancellationToken).ConfigureAwait(false);
    }

    private async Task HandleAsync(Session session, IBlobStore store, ArchivedBlobs archived, ThawRequest request, string what, CancellationToken cancellationToken)
    {
        if (archived.Count == 0) return;
        var cold = $"{what} needs {Count(archived.Count, "pack")} ({Format.Bytes(archived.Bytes)}) in cold storage ({string.Join(", ", archived.StorageClasses)})";
        if (!Enabled(session))
            throw new CairnException($"{cold}: run it again with --thaw to request a thaw and wait for it (see also --thaw-days, --thaw-priority, --thaw-wait); " +
                                     "nothing was written", ExitCode.ColdStorage);
        var waitText = session.Get(Wait);
        var maxWait = waitText is not null ? Durations.Parse(waitText, "--thaw-wait") : (TimeSpan?)null;
        var error = session.Env.Error;
        error.WriteLine($"cairn: {cold}: requesting a thaw ({request.Priority}, readable for {Count(request.Days, "day")}) and waiting " +
                        (waitText is not null ? $"up to {waitText}" : "until it is done"));
        var result = await ColdData.ThawAsync(store, archived, new ThawWaitOptions
        {
            Request = request,
            MaxWait = maxWait,
            PollInterval = PollInterval(request.Priority),
            Time = session.Env.Time,
            Parallelism = session.Transfer.Connections,
            OnProgress = p =>
            {
                if (!session.Quiet && !p.Completed)
                    error.WriteLine($"cairn: thaw: {p.Readable}/{Count(p.Total, "pack")} readable ({Format.Bytes(p.ReadableBytes)} of " +
                                    $"{Format.Bytes(p.TotalBytes)}) after {Format.Duration(p.Waited)}");
            },
        }, cancellationToken).ConfigureAwait(false);
        if (!result.Completed)
            throw new CairnException($"{result.Total - result.Readable} of {Count(result.Total, "pack")} are still thawing after {Format.Duration(result.Waited)}: " +
                                     $"run the same command with --thaw again later (the thaw goes on; thawed copies stay readable for {Count(request.Days, "day")}); " +
                                     "nothing was written", ExitCode.ColdStorage);
        error.WriteLine($"cairn: thaw done: {Count(result.Total, "pack")} readable after {Format.Duration(result.Waited)}");
    }

    private ThawRequest ReadRequest(Session session)
    {
        int days = session.Get(Days);
        if (days is < 1 or > 3650) throw new CairnException($"--thaw-days must be between 1 and 3650, not {days}", ExitCode.Usage);
        var priority = s_priorities.FirstOrDefault(p => p.Equals(session.Get(Priority), StringComparison.OrdinalIgnoreCase))
            ?? throw new CairnException($"--thaw-priority must be Expedited, Standard or Bulk, not '{session.Get(Priority)}'", ExitCode.Usage);
        if (session.Get(Wait) is { } wait) Durations.Parse(wait, "--thaw-wait");
        return new ThawRequest(days, priority);
    }

    /// <summary>How often to ask: a fraction of how long the priority usually takes, so the wait overshoots little.</summary>
    public static TimeSpan PollInterval(string priority) => priority switch
    {
        "Expedited" => TimeSpan.FromMinutes(1),
        "Bulk" => TimeSpan.FromMinutes(15),
        _ => TimeSpan.FromMinutes(5),
    };

    private static string Count(long n, string singular) => n.ToString(CultureInfo.InvariantCulture) + " " + (n == 1 ? singular : singular + "s");
}
