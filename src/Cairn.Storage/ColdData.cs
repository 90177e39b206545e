namespace Cairn.Storage;

/// <summary>Blobs a command needs that are archived (unreadable until thawed), with their sizes and classes.</summary>
public sealed record ArchivedBlobs(IReadOnlyList<BlobInfo> Blobs)
{
    /// <summary>Nothing archived.</summary>
    public static ArchivedBlobs None { get; } = new([]);

    /// <summary>How many blobs are archived.</summary>
    public int Count => Blobs.Count;

    /// <summary>Their total size in bytes.</summary>
    public long Bytes => Blobs.Sum(b => b.Length);

    /// <summary>The storage classes they are in, as the service names them, sorted ("archive" when a store did not say).</summary>
    public IReadOnlyList<string> StorageClasses =>
        [.. Blobs.Select(b => b.StorageClass ?? "archive").Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];
}

/// <summary>How <see cref="ColdData.ThawAsync"/> requests thaws and waits for them.</summary>
public sealed record ThawWaitOptions
{
    /// <summary>How long thawed copies live and how fast the retrieval is.</summary>
    public ThawRequest Request { get; init; } = new();

    /// <summary>Give up waiting after this long (the thaws go on at the service); null waits until every blob is readable, zero only requests.</summary>
    public TimeSpan? MaxWait { get; init; }

    /// <summary>Time between two rounds of asking the service how far the thaws are.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>The clock the waits run on (tests move it by hand).</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>Requests sent at once.</summary>
    public int Parallelism { get; init; } = 8;

    /// <summary>Called after the thaws are requested and after each round of polling.</summary>
    public Action<ThawProgress>? OnProgress { get; init; }
}

/// <summary>Where a wait for thaws stands.</summary>
/// <param name="Readable">Blobs readable now.</param>
/// <param name="Total">Blobs that were archived.</param>
/// <param name="ReadableBytes">Bytes of the readable ones.</param>
/// <param name="TotalBytes">Bytes of all of them.</param>
/// <param name="Waited">Time since the thaws were requested.</param>
public sealed record ThawProgress(int Readable, int Total, long ReadableBytes, long TotalBytes, TimeSpan Waited)
{
    /// <summary>True when every blob is readable.</summary>
    public bool Completed => Readable == Total;
}

/// <summary>
/// Finds the archived blobs a command needs before it reads any of them, and thaws them. Commands that read pack
/// contents (restore, dump, copy, check --read-data, prune's repacking) ask first, so they can say in one line how
/// much cold data they need and stop before writing anything, instead of failing half-way on the first archived read.
/// </summary>
/// <remarks>
/// Stores with archive classes implement <see cref="IColdStorageStore"/> (found through decorators with
/// <see cref="IBlobStore.Feature{T}"/>); for every other store nothing is archived and these calls cost nothing. Listings may
/// over-report (an S3 listing shows GLACIER for an object whose thawed copy is readable): what a listing says is archived
/// is confirmed with <see cref="IBlobStore.StatAsync"/>, which stores answer exactly.
/// </remarks>
public static class ColdData
{
    /// <summary>Below this many blobs, each is stat'ed; above, one listing finds the candidates first.</summary>
    private const int StatEachLimit = 64;

    /// <summary>Consecutive rounds in which every request failed transiently before the error is passed on.</summary>
    private const int MaxFailedRounds = 3;

    /// <summary>True when <paramref name="store"/> can hold archived blobs at all.</summary>
    public static bool CanArchive(IBlobStore store)
    {
        ArgumentNullException.ThrowIfNull(store);
        return store.Feature<IColdStorageStore>() is not null;
    }

    /// <summary>Which of <paramref name="needed"/> are archived now. A missing blob is not reported (reading it will say so).</summary>
    public static async Task<ArchivedBlobs> FindArchivedAsync(IBlobStore store, IReadOnlyCollection<BlobName> needed, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(needed);
        if (needed.Count == 0 || !CanArchive(store)) return ArchivedBlobs.None;
        if (needed.Count <= StatEachLimit) return await ConfirmAsync(store, needed, cancellationToken).ConfigureAwait(false);
        var wanted = needed.ToHashSet();
        var candidates = new List<BlobName>();
        foreach (var kind in wanted.Select(n => n.Kind).Distinct().ToList())
        {
            await foreach (var info in store.ListAsync(kind, cancellationToken).ConfigureAwait(false))
                if (info.IsArchived && wanted.Contains(info.Name)) candidates.Add(info.Name);
        }
        return await ConfirmAsync(store, candidates, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Which of <paramref name="listed"/> (entries of a listing the caller already made, e.g. check's or prune's) are
    /// archived now: those the listing marks archived, confirmed one by one.
    /// </summary>
    public static Task<ArchivedBlobs> FindArchivedAsync(IBlobStore store, IEnumerable<BlobInfo> listed, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(listed);
        if (!CanArchive(store)) return Task.FromResult(ArchivedBlobs.None);
        return ConfirmAsync(store, [.. listed.Where(b => b.IsArchived).Select(b => b.Name)], cancellationToken);
    }

    private static async Task<ArchivedBlobs> ConfirmAsync(IBlobStore store, IReadOnlyCollection<BlobName> names, CancellationToken cancellationToken)
    {
        if (names.Count == 0) return ArchivedBlobs.None;
        var archived = new List<BlobInfo>();
        await Parallel.ForEachAsync(names, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancellationToken }, async (name, ct) =>
        {
            if (await store.TryStatAsync(name, ct).ConfigureAwait(false) is not { IsArchived: true } info) return;
            lock (archived) archived.Add(info);
        }).ConfigureAwait(false);
        archived.Sort((a, b) => string.CompareOrdinal(a.Name.Name, b.Name.Name));
        return new ArchivedBlobs(archived);
    }

    /// <summary>
    /// Requests a thaw of every blob in <paramref name="archived"/> (a blob whose thaw is already running is only asked
    /// about) and waits, polling every <see cref="ThawWaitOptions.PollInterval"/>, until all are readable or
    /// <see cref="ThawWaitOptions.MaxWait"/> has passed. Returns where that left them; the caller decides what a timeout
    /// means. A transient error of one request leaves that blob for the next round.
    /// </summary>
    /// <exception cref="InvalidOperationException">The store cannot thaw (it has no archive classes).</exception>
    public static async Task<ThawProgress> ThawAsync(IBlobStore store, ArchivedBlobs archived, ThawWaitOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(archived);
        ArgumentNullException.ThrowIfNull(options);
        var cold = store.Feature<IColdStorageStore>()
            ?? throw new InvalidOperationException($"{store.Location} has no archive classes, so nothing can be thawed");
        var time = options.Time;
        var started = time.GetUtcNow();
        var pending = archived.Blobs.ToList();
        long totalBytes = archived.Bytes;
        int failedRounds = 0;
        while (true)
        {
            var (stillPending, failure, anySuccess) = await PollAsync(cold, pending, options, cancellationToken).ConfigureAwait(false);
            pending = stillPending;
            failedRounds = anySuccess || failure is null ? 0 : failedRounds + 1;
            if (failedRounds >= MaxFailedRounds) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failure!);
            var waited = time.GetUtcNow() - started;
            var progress = new ThawProgress(archived.Count - pending.Count, archived.Count, totalBytes - pending.Sum(b => b.Length), totalBytes, waited);
            options.OnProgress?.Invoke(progress);
            if (progress.Completed) return progress;
            var delay = options.PollInterval;
            if (options.MaxWait is { } max)
            {
                if (waited >= max) return progress;
                if (max - waited < delay) delay = max - waited;
            }
            await Task.Delay(delay, time, cancellationToken).ConfigureAwait(false);
        }
    }

    private static async Task<(List<BlobInfo> Pending, StorageException? Failure, bool AnySuccess)> PollAsync(IColdStorageStore cold,
        List<BlobInfo> blobs, ThawWaitOptions options, CancellationToken cancellationToken)
    {
        var pending = new List<BlobInfo>();
        StorageException? failure = null;
        bool anySuccess = false;
        var gate = new Lock();
        await Parallel.ForEachAsync(blobs, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, options.Parallelism), CancellationToken = cancellationToken },
            async (blob, ct) =>
            {
                ThawState? state = null;
                StorageException? error = null;
                try
                {
                    state = await cold.RequestThawAsync(blob.Name, options.Request, ct).ConfigureAwait(false);
                }
                catch (StorageException e) when (e.IsTransient)
                {
                    error = e;
                }
                lock (gate)
                {
                    if (error is not null) failure ??= error;
                    else anySuccess = true;
                    if (state != ThawState.Readable) pending.Add(blob);
                }
            }).ConfigureAwait(false);
        pending.Sort((a, b) => string.CompareOrdinal(a.Name.Name, b.Name.Name));
        return (pending, failure, anySuccess);
    }
}
