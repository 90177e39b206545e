using Cairn.Content.Crypto;
using Cairn.Snapshots;
using Cairn.Storage;

namespace Cairn.Tests.Archiving;

/// <summary>A fresh local repository in a temp directory, with a cheap KDF; deleted on dispose.</summary>
internal sealed class TestRepository : IAsyncDisposable
{
    public const string Password = "test password";

    private TestRepository(string root, Repository repository)
    {
        Root = root;
        Repository = repository;
    }

    public string Root { get; }

    public Repository Repository { get; private set; }

    public static async Task<TestRepository> CreateAsync()
    {
        var root = Path.Combine(Path.GetTempPath(), "cairn-repo-" + Guid.NewGuid().ToString("N"));
        var repository = await Repository.InitAsync(new LocalBlobStore(root), System.Text.Encoding.UTF8.GetBytes(Password),
            new RepositoryInitOptions { Kdf = KdfParameters.ForTests }, TimeProvider.System, CancellationToken.None);
        return new TestRepository(root, repository);
    }

    /// <summary>Opens the repository again from disk, as a new process would (fresh index, no caches).</summary>
    public async Task<Repository> ReopenAsync()
    {
        await Repository.DisposeAsync();
        Repository = await Repository.OpenAsync(new LocalBlobStore(Root), System.Text.Encoding.UTF8.GetBytes(Password), CancellationToken.None);
        return Repository;
    }

    public int CountFiles(string folder) =>
        Directory.Exists(Path.Combine(Root, folder)) ? Directory.GetFiles(Path.Combine(Root, folder), "*", SearchOption.AllDirectories).Length : 0;

    public async ValueTask DisposeAsync()
    {
        await Repository.DisposeAsync();
        if (Directory.Exists(Root)) Directory.Delete(Root, recursive: true);
    }
}
