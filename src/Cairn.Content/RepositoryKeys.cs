using Cairn.Content.Crypto;
using Cairn.Storage;

namespace Cairn.Content;

/// <summary>One key file of a repository, as listed by <c>cairn key list</c>.</summary>
public sealed record KeyInfo(string Id, KeyFile File);

/// <summary>
/// The key files of a repository: each wraps the one master key with one password. Any of them opens the repository.
/// </summary>
public static class RepositoryKeys
{
    /// <summary>Lists and parses every key file.</summary>
    public static async Task<List<KeyInfo>> ListAsync(IBlobStore store, CancellationToken cancellationToken)
    {
        var keys = new List<KeyInfo>();
        await foreach (var info in store.ListAsync(BlobKind.Key, cancellationToken).ConfigureAwait(false))
        {
            var bytes = await store.GetAsync(info.Name, cancellationToken).ConfigureAwait(false);
            keys.Add(new KeyInfo(info.Name.Name, KeyFile.Parse(bytes)));
        }
        keys.Sort((a, b) => a.File.Created.CompareTo(b.File.Created));
        return keys;
    }

    /// <summary>Finds the key file that the password opens and returns the master key and that key's id.</summary>
    public static async Task<(MasterKey Master, string KeyId)> UnlockAsync(IBlobStore store, ReadOnlyMemory<byte> password, CancellationToken cancellationToken)
    {
        var keys = await ListAsync(store, cancellationToken).ConfigureAwait(false);
        if (keys.Count == 0)
            throw new IntegrityException($"repository {store.Location}", "it has no key files, so no password can open it");
        // Newest first: a password just added or changed is the likeliest to be used.
        for (int i = keys.Count - 1; i >= 0; i--)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (keys[i].File.TryUnlock(password.Span, out var master) && master is not null)
            {
                ReleaseKdfMemory();
                return (master, keys[i].Id);
            }
        }
        throw new CairnException($"wrong password: none of the {keys.Count} key(s) of repository {store.Location} opens with it", ExitCode.WrongPassword);
    }

    // Argon2id just filled tens of MiB that are now garbage. An aggressive collection returns that memory to the OS
    // (a normal one keeps it committed), so it does not add to the peak of the backup or restore that follows.
    private static void ReleaseKdfMemory() => GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);

    /// <summary>Adds a key file for <paramref name="password"/> and returns its id.</summary>
    public static async Task<string> AddAsync(IBlobStore store, MasterKey master, ReadOnlyMemory<byte> password, KdfParameters kdf, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var key = KeyFile.Create(master, password.Span, kdf, Environment.MachineName, Environment.UserName, now);
        var bytes = key.ToJson();
        var id = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes));
        await store.PutAsync(new BlobName(BlobKind.Key, id), bytes, cancellationToken).ConfigureAwait(false);
        return id;
    }

    /// <summary>Removes a key file; refuses to remove the last one, which would make the repository unreadable.</summary>
    public static async Task RemoveAsync(IBlobStore store, string keyId, CancellationToken cancellationToken)
    {
        var keys = await ListAsync(store, cancellationToken).ConfigureAwait(false);
        if (!keys.Exists(k => k.Id == keyId))
            throw new CairnException($"key {keyId} does not exist in repository {store.Location}", ExitCode.NotFound);
        if (keys.Count == 1)
            throw new CairnException("refusing to remove the only key: the repository could never be opened again", ExitCode.Usage);
        await store.DeleteAsync(new BlobName(BlobKind.Key, keyId), cancellationToken).ConfigureAwait(false);
    }
}
