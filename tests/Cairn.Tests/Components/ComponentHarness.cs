using Cairn.Components;
using Cairn.Content.Crypto;
using Cairn.Orchestration.Jobs;
using Cairn.Snapshots;
using Cairn.Storage;

namespace Cairn.Tests.Components;

/// <summary>
/// A real local repository in a temp directory (cheap KDF) for component tests: backs one component up into a new
/// snapshot exactly as a one-component job does, and restores it through the component's own restore.
/// </summary>
internal sealed class ComponentHarness : IAsyncDisposable
{
    private const string Password = "harness password";
    private const string Job = "harness";

    private readonly string _repositoryPath;

    private ComponentHarness(string root, string repositoryPath, Repository repository)
    {
        Root = root;
        _repositoryPath = repositoryPath;
        Repository = repository;
    }

    public Repository Repository { get; }

    /// <summary>A temp directory for the test's own files (deleted on dispose).</summary>
    public string Root { get; }

    /// <summary>Lines the components reported through Info, for assertions and for reading a failed test's output.</summary>
    public List<string> Messages { get; } = [];

    public static async Task<ComponentHarness> CreateAsync()
    {
        var root = Path.Combine(Path.GetTempPath(), "cairn-harness-" + Guid.NewGuid().ToString("N"));
        var repositoryPath = Path.Combine(root, "repository");
        Directory.CreateDirectory(Path.Combine(root, "files"));
        var repository = await Repository.InitAsync(new LocalBlobStore(repositoryPath), System.Text.Encoding.UTF8.GetBytes(Password),
            new RepositoryInitOptions { Kdf = KdfParameters.ForTests }, TimeProvider.System, CancellationToken.None);
        return new ComponentHarness(Path.Combine(root, "files"), repositoryPath, repository);
    }

    /// <summary>
    /// Backs the component up into a new snapshot of job "harness" (the previous one is its parent, as in a job run).
    /// Never throws for a failed component: the snapshot then has Status failed and Components[0].Error set.
    /// </summary>
    public async Task<Snapshot> BackupAsync(string name, IComponent component, CancellationToken ct = default)
    {
        var parent = await JobParents.FindAsync(Repository, Job, Environment.MachineName, instance: null, ct);
        var writer = new ComponentSnapshotWriter(Repository, TimeProvider.System, Messages.Add);
        return await writer.WriteAsync(new JobSnapshotRequest { Job = Job, Hostname = Environment.MachineName, Parent = parent },
            [new JobComponent(name, TypeName(component), component)], ct);
    }

    /// <summary>Restores component <paramref name="name"/> of <paramref name="snapshot"/> through <paramref name="component"/>'s RestoreAsync.</summary>
    public async Task RestoreAsync(Snapshot snapshot, string name, IComponent component, ComponentRestoreRequest request, CancellationToken ct = default)
    {
        var source = await ComponentRestore.OpenAsync(Repository, snapshot, name, Messages.Add, ct);
        await component.RestoreAsync(source, request, ct);
    }

    // The catalog's name for the component's type ("PostgresComponent" → "postgres"), as the config would give it.
    private static string TypeName(IComponent component)
    {
        var name = component.GetType().Name;
        if (name.EndsWith("Component", StringComparison.Ordinal)) name = name[..^"Component".Length];
        return name.ToLowerInvariant();
    }

    public async ValueTask DisposeAsync()
    {
        await Repository.DisposeAsync();
        var top = Path.GetDirectoryName(_repositoryPath)!;
        if (Directory.Exists(top)) Directory.Delete(top, recursive: true);
    }
}
