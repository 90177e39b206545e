namespace Cairn.Components;

/// <summary>
/// Layer 5: one configured source (a file tree, a PostgreSQL server, a bucket, …) that can put its data into a snapshot
/// and take it back out. An instance is made per run from the component's typed options (<see cref="ComponentType"/>);
/// it holds no state between runs.
/// </summary>
/// <remarks>
/// Contract for implementations:
/// <list type="bullet">
/// <item>Backup streams data through <see cref="IComponentBackup.AddStreamAsync"/> (never stage a whole dump on disk)
/// and fills <see cref="IComponentBackup.Manifest"/> with tool and server versions, the format and the items it holds.</item>
/// <item>Anything that makes the data incomplete (a non-zero exit, an error on stderr, a truncated stream, an
/// unreachable server, a missing tool) throws <see cref="ComponentFailedException"/> with the tool's own words. The
/// runner then records the component and the snapshot as failed; it never counts as a good backup.</item>
/// <item>Secrets go to tools through environment variables or files (<see cref="Tools.ToolCommand.Environment"/>),
/// never on a command line that other users can read in <c>ps</c>.</item>
/// <item>Restore reads what backup stored (<see cref="IComponentRestore"/>) and honours the parts of
/// <see cref="ComponentRestoreRequest"/> that make sense for the type; a part that does not (a table for redis) is a
/// <see cref="CairnException"/> with <see cref="ExitCode.Usage"/>.</item>
/// </list>
/// </remarks>
public interface IComponent
{
    /// <summary>Produces the component's data into the snapshot being written.</summary>
    Task BackupAsync(IComponentBackup backup, CancellationToken cancellationToken);

    /// <summary>Puts the stored data (or the requested part of it) back.</summary>
    Task RestoreAsync(IComponentRestore source, ComponentRestoreRequest request, CancellationToken cancellationToken);
}
