using System.Security.Cryptography;
using System.Text;
using Cairn.Content.Crypto;
using Cairn.Snapshots;
using Cairn.Snapshots.Locking;
using Cairn.Storage;

namespace Cairn.Cli;

/// <summary>
/// Where a repository is (a path or a remote location string such as s3:host/bucket): given with -r/$CAIRN_REPOSITORY (or the source's --from-repo/$CAIRN_FROM_REPOSITORY), or the
/// embedded default in the user's data directory; <see cref="Role"/> says which repository it is and where its password comes from.
/// </summary>
internal sealed record RepositoryLocation(string Address, bool IsDefault, string DefaultPasswordFile, RepositoryRole Role)
{
    /// <summary>The address for messages and output: without the password a rest: URL may carry.</summary>
    public string Display => StoreLocations.Display(Address);
}

/// <summary>Locating, creating and opening the repository a command works on.</summary>
internal static class RepositoryAccess
{
    public static RepositoryLocation Locate(Session session) => Locate(session, RepositoryRole.Primary(session));

    public static RepositoryLocation Locate(Session session, RepositoryRole role)
    {
        var env = session.Env;
        var home = env.Get("HOME") ?? Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        var config = env.Get("XDG_CONFIG_HOME") ?? Path.Combine(home, ".config");
        var passwordFile = Path.Combine(config, "cairn", "password");
        if ((role.LocationOption ?? (role.ReadsLocationVariable ? env.Get(role.LocationVariable) : null)) is { } explicitPath)
            return new RepositoryLocation(StoreLocations.Normalize(explicitPath), false, passwordFile, role);
        if (!role.HasDefault)
            throw new CairnException($"no {role.Title} given: use {role.LocationOptionName}" + (role.ReadsLocationVariable ? $" or set {role.LocationVariable}" : ""), ExitCode.Usage);
        var data = env.Get("XDG_DATA_HOME") ?? Path.Combine(home, ".local", "share");
        return new RepositoryLocation(Path.Combine(data, "cairn", "repository"), true, passwordFile, role);
    }

    /// <summary>Key derivation cost for new keys: cheap when $CAIRN_TEST_CHEAP_KDF is set (tests), else calibrated to ~0.5 s.</summary>
    public static KdfParameters NewKeyKdf(Session session) =>
        session.Env.IsSet(KdfParameters.CheapKdfEnvironmentVariable) ? KdfParameters.ForTests : KdfParameters.Calibrate(TimeSpan.FromMilliseconds(500));

    /// <summary>
    /// Opens the repository. With <paramref name="lockKind"/>, takes that lock first (waiting up to --retry-lock) and holds
    /// it, refreshed, until the repository is disposed; <see cref="Repository.Lease"/> is then set.
    /// </summary>
    public static Task<Repository> OpenAsync(Session session, CancellationToken cancellationToken, LockKind? lockKind = null, bool loadIndex = true) =>
        OpenAsync(session, Locate(session), cancellationToken, lockKind, loadIndex);

    /// <summary>
    /// Opens (and optionally locks) the repository at <paramref name="location"/>; errors about a source repository say so.
    /// <paramref name="transfer"/> replaces the session's transfer options (a config target's own data storage class).
    /// </summary>
    public static async Task<Repository> OpenAsync(Session session, RepositoryLocation location, CancellationToken cancellationToken,
        LockKind? lockKind = null, bool loadIndex = true, Func<byte[]>? password = null, Cairn.Storage.TransferOptions? transfer = null)
    {
        transfer ??= session.Transfer;
        var store = StoreLocations.Open(location.Address, transfer, session.Env);
        await EnsureExistsAsync(store, location, cancellationToken).ConfigureAwait(false);
        var key = password?.Invoke() ?? Passwords.Resolve(session, location);
        var lockRequest = lockKind is { } kind ? new LockRequest(kind, LockOptions(session), session.Env.Time) : null;
        try
        {
            return await Repository.OpenAsync(store, key, cancellationToken, StoreLocations.ContentOptions(location.Address, transfer),
                lockRequest: lockRequest, loadIndex: loadIndex).ConfigureAwait(false);
        }
        catch (CairnException e) when (!location.Role.HasDefault)
        {
            // "wrong password" alone would leave the operator guessing which of two repositories refused it.
            throw new CairnException($"{location.Role.Title}: {e.Message}", e.ExitCode, e);
        }
    }

    /// <summary>
    /// For commands that only read but run long (restore, dump, check): a shared lock, so no prune removes data under
    /// them, unless --no-lock asks for none (read-only repositories).
    /// </summary>
    public static Task<Repository> OpenForReadingAsync(Session session, CancellationToken cancellationToken, bool loadIndex = true) =>
        OpenAsync(session, cancellationToken, session.NoLock ? null : LockKind.Shared, loadIndex);

    /// <summary>For backup: opens and locks the repository, first creating the embedded default one if this is its first use.</summary>
    public static async Task<Repository> OpenOrCreateDefaultAsync(Session session, LockKind lockKind, CancellationToken cancellationToken)
    {
        var location = Locate(session);
        if (!location.IsDefault || await Repository.ExistsAsync(StoreLocations.Open(location.Address, session.Transfer, session.Env), cancellationToken).ConfigureAwait(false))
            return await OpenAsync(session, cancellationToken, lockKind).ConfigureAwait(false);
        var repository = await CreateAsync(session, location, cancellationToken).ConfigureAwait(false);
        try
        {
            await RepositoryLock.AcquireAsync(repository, lockKind, LockOptions(session), session.Env.Time, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await repository.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        return repository;
    }

    /// <summary>Who this process is, for the lock file, and how long to wait for a lock (--retry-lock).</summary>
    public static LockOptions LockOptions(Session session)
    {
        // Redacted: the command line may hold a rest: URL with a password, and lock files are readable by the repository's readers.
        var command = StoreLocations.Display("cairn " + string.Join(' ', session.Parse.Tokens.Select(t => t.Value)));
        return new LockOptions
        {
            Command = command.Length > 200 ? command[..200] + "…" : command,
            RetryFor = session.RetryLockOption is { } retry ? Durations.Parse(retry, "--retry-lock") : TimeSpan.Zero,
            Notify = line =>
            {
                if (!session.Quiet) session.Env.Error.WriteLine("cairn: " + line);
            },
        };
    }

    /// <summary>
    /// Creates a repository. With no password configured for the embedded default repository, generates one and
    /// saves it in a 0600 file, and says so once. With <paramref name="shareSecretWith"/>, the new repository shares that
    /// repository's master secret and chunker settings (see <see cref="RepositoryInitOptions.ShareSecretWith"/>).
    /// </summary>
    public static async Task<Repository> CreateAsync(Session session, RepositoryLocation location, CancellationToken cancellationToken,
        Repository? shareSecretWith = null)
    {
        bool generated = false;
        byte[]? password = Passwords.TryResolve(session, location);
        if (password is null)
        {
            if (!location.IsDefault) throw new CairnException(Passwords.NoPasswordMessage(location.Role), ExitCode.Usage);
            password = Encoding.UTF8.GetBytes(WriteGeneratedPassword(location.DefaultPasswordFile));
            generated = true;
        }
        var store = StoreLocations.Open(location.Address, session.Transfer, session.Env);
        if (store.Feature<IContainerStore>() is { } container) await container.CreateContainerIfMissingAsync(cancellationToken).ConfigureAwait(false);
        var repository = await Repository.InitAsync(store, password, new RepositoryInitOptions { Kdf = NewKeyKdf(session), ShareSecretWith = shareSecretWith },
            session.Env.Time, cancellationToken).ConfigureAwait(false);
        if (generated)
        {
            var e = session.Env.Error;
            e.WriteLine($"cairn: created a new repository at {location.Display}");
            e.WriteLine($"cairn: its password was generated and saved in {location.DefaultPasswordFile} (readable only by you)");
            e.WriteLine("cairn: IMPORTANT: keep a copy of that password somewhere else (a password manager, on paper).");
            e.WriteLine("cairn: Without it these backups cannot be restored, and nobody can recover it.");
        }
        return repository;
    }

    private static async Task EnsureExistsAsync(IBlobStore store, RepositoryLocation location, CancellationToken cancellationToken)
    {
        if (await Repository.ExistsAsync(store, cancellationToken).ConfigureAwait(false)) return;
        throw location.IsDefault
            ? new CairnException("no repository yet: run 'cairn backup DIR' or 'cairn init'", ExitCode.RepositoryNotFound)
            : new CairnException(location.Role.HasDefault
                ? $"there is no repository at {location.Display}: create one with 'cairn init', or check {location.Role.LocationSources}"
                : $"there is no {location.Role.Title} at {location.Display}: check {location.Role.LocationSources}", ExitCode.RepositoryNotFound);
    }

    private static string WriteGeneratedPassword(string file)
    {
        // Cairn is POSIX-only (the platform layer calls libc); the guard tells the analyzer so.
        if (OperatingSystem.IsWindows()) throw new PlatformNotSupportedException();
        var password = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var directory = Path.GetDirectoryName(file)!;
        Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var options = new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.Write,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        };
        using (var stream = new FileStream(file, options))
        using (var writer = new StreamWriter(stream))
            writer.WriteLine(password);
        return password;
    }
}
