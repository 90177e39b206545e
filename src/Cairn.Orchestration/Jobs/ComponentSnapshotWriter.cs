using System.Text;
using Cairn.Components;
using Cairn.Content;
using Cairn.Snapshots;
using Cairn.Snapshots.Trees;

namespace Cairn.Orchestration.Jobs;

/// <summary>One component to run in a job: its name (its directory in the snapshot), its type name and the instance.</summary>
public sealed record JobComponent(string Name, string Type, IComponent Component);

/// <summary>Who and what a job snapshot is about (recorded in it), and the previous snapshot for the file cache.</summary>
public sealed record JobSnapshotRequest
{
    /// <summary>The job's name.</summary>
    public required string Job { get; init; }

    /// <summary>Host name recorded in the snapshot.</summary>
    public required string Hostname { get; init; }

    /// <summary>Tags recorded in the snapshot.</summary>
    public IReadOnlyList<string> Tags { get; init; } = [];

    /// <summary>The config's instance, if any.</summary>
    public string? Instance { get; init; }

    /// <summary>The config's environment, if any.</summary>
    public string? Environment { get; init; }

    /// <summary>The job's previous snapshot (same host and instance), whose component directories feed the file cache.</summary>
    public Snapshot? Parent { get; init; }

    /// <summary>
    /// A checkpoint request (max_duration, shutdown): once cancelled, the running component stops reading, no further
    /// component starts, and what was stored is written as an incomplete snapshot.
    /// </summary>
    public CancellationToken Stop { get; init; }

    /// <summary>Why <see cref="Stop"/> may fire, recorded as the stopped component's error (e.g. "max_duration 6h reached").</summary>
    public Func<string>? StopReason { get; init; }
}

/// <summary>
/// Runs components one after the other into one new snapshot of one repository: each gets its own directory at the
/// snapshot's root and a manifest entry. A component that fails is recorded as failed (with its error) and the others
/// still run; the snapshot is then failed (or partial when there were only warnings), never complete. A checkpoint
/// request (<see cref="JobSnapshotRequest.Stop"/>) ends the run early with an incomplete snapshot of what was stored.
/// Write order: packs, then the index, then the snapshot.
/// </summary>
public sealed class ComponentSnapshotWriter
{
    private readonly Repository _repository;
    private readonly TimeProvider _time;
    private readonly Action<string>? _info;

    /// <summary>Prepares to write into <paramref name="repository"/>; <paramref name="info"/> receives components' progress lines.</summary>
    public ComponentSnapshotWriter(Repository repository, TimeProvider time, Action<string>? info = null)
    {
        _repository = repository;
        _time = time;
        _info = info;
    }

    /// <summary>Called when a component has finished (whatever its status), for live output.</summary>
    public Action<SnapshotComponent>? ComponentFinished { get; init; }

    /// <summary>Runs the components and writes the snapshot. Only a repository failure or cancellation throws.</summary>
    public async Task<Snapshot> WriteAsync(JobSnapshotRequest request, IReadOnlyList<JobComponent> components, CancellationToken cancellationToken)
    {
        if (components.Count == 0) throw new CairnException($"job '{request.Job}' has no component to run", ExitCode.Usage);
        foreach (var c in components) DirectoryName(c.Name);
        if (components.GroupBy(c => c.Name, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1) is { } twice)
            throw new CairnException($"job '{request.Job}' has two components named '{twice.Key}': each needs its own name", ExitCode.Usage);
        var started = _time.GetUtcNow();
        var content = _repository.Content;
        long blobsBefore = content.BlobsAdded, rawBefore = content.RawBytesAdded, storedBefore = content.StoredBytesAdded;
        var parentRoot = request.Parent is { } parent ? await _repository.LoadTreeAsync(parent.Tree, cancellationToken).ConfigureAwait(false) : null;

        var nodes = new List<Node>();
        var manifest = new List<SnapshotComponent>();
        var warnings = new List<SnapshotWarning>();
        var trees = new List<Archiving.Backup.BackupProgress>();
        int notStarted = 0;
        foreach (var component in components)
        {
            if (request.Stop.IsCancellationRequested)
            {
                // The components not started are left out of the snapshot; its incomplete status says so.
                notStarted = components.Count - nodes.Count;
                _info?.Invoke($"stopped ({request.StopReason?.Invoke() ?? "stop requested"}): {notStarted} components not run");
                break;
            }
            var previous = parentRoot?.Find(DirectoryName(component.Name));
            var backup = new ComponentBackup(_repository, component.Name, previous is { Kind: NodeKind.Directory } ? previous.Subtree : null, _time,
                _info is null ? null : line => _info($"{component.Name}: {line}"), request.Stop, cancellationToken);
            var (entry, node) = await RunOneAsync(component, backup, request, cancellationToken).ConfigureAwait(false);
            nodes.Add(node);
            manifest.Add(entry);
            trees.AddRange(backup.ArchivedTrees);
            warnings.AddRange(backup.Warnings.Select(w => new SnapshotWarning("/" + component.Name + (w.Path.StartsWith('/') ? "" : "/") + w.Path, w.Message)));
            ComponentFinished?.Invoke(entry);
        }
        var root = await _repository.SaveTreeAsync(new Tree(nodes), cancellationToken).ConfigureAwait(false);
        // Write order: packs and the index first; the snapshot last, so it never names data that is not stored.
        await content.FlushAsync(cancellationToken).ConfigureAwait(false);

        var finished = _time.GetUtcNow();
        var snapshot = new Snapshot
        {
            Time = started,
            Tree = root.Id,
            Paths = [.. manifest.Select(c => "/" + c.Name)],
            Hostname = request.Hostname,
            Username = Environment.UserName,
            Tags = request.Tags,
            Parent = request.Parent?.Id,
            Job = request.Job,
            Instance = request.Instance,
            Environment = request.Environment,
            Status = manifest.Any(c => c.Status == SnapshotStatus.Failed) ? SnapshotStatus.Failed
                : notStarted > 0 || manifest.Any(c => c.Status == SnapshotStatus.Incomplete) ? SnapshotStatus.Incomplete
                : manifest.Any(c => c.Status == SnapshotStatus.Partial) ? SnapshotStatus.Partial : SnapshotStatus.Complete,
            Warnings = warnings,
            Components = manifest,
            ProgramVersion = "cairn " + ProgramInfo.Version,
            Summary = new SnapshotSummary
            {
                FilesNew = trees.Sum(t => t.FilesNew),
                FilesChanged = trees.Sum(t => t.FilesChanged),
                FilesUnchanged = trees.Sum(t => t.FilesUnchanged),
                DirsNew = trees.Sum(t => t.DirsNew),
                DirsChanged = trees.Sum(t => t.DirsChanged),
                DirsUnchanged = trees.Sum(t => t.DirsUnchanged),
                TotalEntries = trees.Sum(t => t.Entries),
                TotalBytes = manifest.Sum(c => c.Bytes ?? 0),
                BytesRead = trees.Sum(t => t.BytesRead),
                BlobsAdded = content.BlobsAdded - blobsBefore,
                BytesAdded = content.RawBytesAdded - rawBefore,
                BytesAddedStored = content.StoredBytesAdded - storedBefore,
                Started = started,
                Finished = finished,
                DurationSeconds = (finished - started).TotalSeconds,
            },
        };
        CrashPoints.Reached(CrashPoints.BeforeSnapshot);
        snapshot = await _repository.SaveSnapshotAsync(snapshot, cancellationToken).ConfigureAwait(false);
        CrashPoints.Reached(CrashPoints.AfterSnapshot);
        return snapshot;
    }

    private async Task<(SnapshotComponent Entry, Node Directory)> RunOneAsync(JobComponent component, ComponentBackup backup, JobSnapshotRequest request,
        CancellationToken cancellationToken)
    {
        var started = _time.GetUtcNow();
        long addedBefore = _repository.Content.RawBytesAdded;
        string? error = null;
        bool stopped = false;
        using var either = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, request.Stop);
        try
        {
            await component.Component.BackupAsync(backup, either.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception) when (request.Stop.IsCancellationRequested)
        {
            // A tool killed by the stop fails in its own words; the cause is the stop, and what was stored stays usable.
            stopped = true;
        }
        catch (Exception e)
        {
            // Whatever went wrong, this component's data is not a good backup, and the others' still are. A failing
            // repository is not hidden by this: the next store or the final flush throws the same error and ends the job.
            error = e is CairnException ? e.Message : $"unexpected error: {e.GetType().Name}: {e.Message}";
            _info?.Invoke($"{component.Name}: failed: {error}");
        }
        // What was stored before a failure stays readable (restore --to-file), but the component is recorded as failed.
        var directory = await backup.SaveAsync(cancellationToken).ConfigureAwait(false);
        var now = _time.GetUtcNow();
        stopped |= backup.Stopped;
        if (stopped)
        {
            error = "stopped before it finished: " + (request.StopReason?.Invoke() ?? "stop requested");
            _info?.Invoke($"{component.Name}: {error}");
        }
        var status = stopped ? SnapshotStatus.Incomplete
            : error is not null ? SnapshotStatus.Failed : backup.Warnings.Count > 0 ? SnapshotStatus.Partial : SnapshotStatus.Complete;
        var m = backup.Manifest;
        var entry = new SnapshotComponent
        {
            Type = component.Type,
            Name = component.Name,
            Status = status,
            Tool = m.Tool,
            ServerVersion = m.ServerVersion,
            Format = m.Format,
            Path = component.Name,
            Error = error,
            Items = m.Items.Count > 0 ? [.. m.Items] : null,
            Details = m.Details.Count > 0 ? new Dictionary<string, string>(m.Details, StringComparer.Ordinal) : null,
            Bytes = backup.Bytes,
            BytesAdded = _repository.Content.RawBytesAdded - addedBefore,
            DurationSeconds = (now - started).TotalSeconds,
        };
        var node = new Node
        {
            Name = DirectoryName(component.Name),
            Kind = NodeKind.Directory,
            Mode = 0x1C0, // 0700, as the directories cairn creates inside it
            ModifyTimeNs = (now - DateTimeOffset.UnixEpoch).Ticks * 100,
            Subtree = directory,
        };
        return (entry, node);
    }

    private static byte[] DirectoryName(string componentName)
    {
        if (componentName.Length == 0 || componentName is "." or ".." || componentName.Contains('/', StringComparison.Ordinal)
            || componentName.Contains('\0', StringComparison.Ordinal))
            throw new CairnException($"'{componentName}' cannot name a component: it becomes a directory name (no '/', not '.' or '..')", ExitCode.Usage);
        return Encoding.UTF8.GetBytes(componentName);
    }
}
