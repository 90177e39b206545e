using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Cairn.Orchestration.Service;

/// <summary>
/// The state directory: one small JSON file per job (<c>jobs/JOB.json</c>, or <c>jobs/INSTANCE/JOB.json</c> when the
/// config names an instance) and one per target pruned on a schedule (<c>prune/[INSTANCE/]TARGET.json</c>). Files are
/// replaced atomically (a temp file, fsynced, then renamed), so a crash leaves the old or the new state, never a torn one; updates take a lock file so the daemon and a <c>cairn job run</c> started by
/// a timer do not lose each other's records.
/// </summary>
public sealed class JobStateStore
{
    private static readonly JsonSerializerOptions s_json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        WriteIndented = true,
    };

    /// <summary>Uses (and creates when first written) <paramref name="directory"/>.</summary>
    public JobStateStore(string directory) => Directory = Path.GetFullPath(directory);

    /// <summary>The state directory.</summary>
    public string Directory { get; }

    /// <summary>
    /// The state directory to use: <paramref name="configured"/> (the config's daemon.state_directory or --state-dir), else
    /// $XDG_STATE_HOME/cairn when that is set, else /var/lib/cairn for root, else ~/.local/state/cairn.
    /// </summary>
    public static string DefaultDirectory(string? configured, Func<string, string?> variable, bool isRoot)
    {
        if (!string.IsNullOrEmpty(configured)) return configured;
        if (variable("XDG_STATE_HOME") is { Length: > 0 } xdg) return Path.Combine(xdg, "cairn");
        if (isRoot) return "/var/lib/cairn";
        var home = variable("HOME") is { Length: > 0 } h ? h : Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        return Path.Combine(home, ".local", "state", "cairn");
    }

    /// <summary>The file that holds <paramref name="job"/>'s state.</summary>
    public string PathOf(string? instance, string job) =>
        instance is null ? Path.Combine(Directory, "jobs", FileName(job) + ".json")
        : Path.Combine(Directory, "jobs", FileName(instance), FileName(job) + ".json");

    /// <summary>The job's state; a fresh one (nothing recorded) when it has no file yet.</summary>
    public JobState Load(string? instance, string job) =>
        Read(PathOf(instance, job), "job state", () => new JobState { Job = job, Instance = instance }, "the job's record");

    /// <summary>Reads, changes and writes the job's state under the store's lock; returns what was written.</summary>
    public JobState Update(string? instance, string job, Func<JobState, JobState> change) =>
        Change(PathOf(instance, job), () => Load(instance, job), change);

    /// <summary>The file that holds the scheduled prune state of <paramref name="target"/>.</summary>
    public string PrunePathOf(string? instance, string target) =>
        instance is null ? Path.Combine(Directory, "prune", FileName(target) + ".json")
        : Path.Combine(Directory, "prune", FileName(instance), FileName(target) + ".json");

    /// <summary>The target's scheduled prune state; a fresh one when it has no file yet.</summary>
    public PruneState LoadPrune(string? instance, string target) =>
        Read(PrunePathOf(instance, target), "prune state", () => new PruneState { Target = target, Instance = instance }, "the target's prune record");

    /// <summary>Reads, changes and writes the target's prune state under the store's lock; returns what was written.</summary>
    public PruneState UpdatePrune(string? instance, string target, Func<PruneState, PruneState> change) =>
        Change(PrunePathOf(instance, target), () => LoadPrune(instance, target), change);

    private static T Read<T>(string path, string what, Func<T> fresh, string record)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return fresh();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CairnException($"cannot read the {what} file {path}: {e.Message}", ExitCode.Failure, e);
        }
        try
        {
            return JsonSerializer.Deserialize<T>(bytes, s_json) ?? throw new JsonException("the file holds null");
        }
        catch (JsonException e)
        {
            throw new CairnException($"the {what} file {path} is damaged ({e.Message}): remove it to start {record} afresh", ExitCode.Failure, e);
        }
    }

    private static T Change<T>(string path, Func<T> load, Func<T, T> change)
    {
        System.IO.Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var gate = AcquireLock(path + ".lock");
        var state = change(load());
        Write(path, state);
        return state;
    }

    private static void Write<T>(string path, T state)
    {
        var temp = path + ".tmp-" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
        using (var file = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            file.Write(JsonSerializer.SerializeToUtf8Bytes(state, s_json));
            file.Flush(flushToDisk: true);
        }
        File.Move(temp, path, overwrite: true);
    }

    // An exclusive open of a lock file: released by the OS if the process dies, so it can never be left stale.
    private static FileStream AcquireLock(string path)
    {
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (attempt < 200)
            {
                Thread.Sleep(25);
            }
        }
    }

    // Job names are safe already (NameRules); instances are not checked there, so anything odd is escaped.
    private static string FileName(string name)
    {
        var builder = new StringBuilder();
        for (int i = 0; i < name.Length; i++)
        {
            char c = name[i];
            bool plain = char.IsAsciiLetterOrDigit(c) || c is '_' or '-' || (c == '.' && i > 0);
            if (plain) builder.Append(c);
            else foreach (var b in Encoding.UTF8.GetBytes(c.ToString())) builder.Append('%').Append(b.ToString("X2", CultureInfo.InvariantCulture));
        }
        return builder.ToString();
    }
}
