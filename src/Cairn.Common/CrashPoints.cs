using System.Diagnostics;
using System.Globalization;

namespace Cairn;

/// <summary>
/// A test hook for crash tests: with <c>CAIRN_TEST_CRASH_AT=&lt;point&gt;[:&lt;n&gt;]</c> in its environment, the process
/// kills itself with SIGKILL the n-th time (default: the first) it reaches the named point, as a power cut or
/// <c>kill -9</c> would at exactly that moment. Documented in docs/TESTING.md.
/// </summary>
/// <remarks>
/// The variable is read once, when this class is first used. Unset, <see cref="Reached"/> is one test of a static
/// readonly field that the JIT folds away, so the hook costs nothing in normal runs. Points are named by phase
/// ("pack-uploaded", "index-written", …); a new command adds its own constants (e.g. "prune-…") and lists them in
/// <see cref="All"/>, so that a misspelt point fails loudly instead of never firing.
/// </remarks>
public static class CrashPoints
{
    /// <summary>The environment variable that arms the hook.</summary>
    public const string EnvironmentVariable = "CAIRN_TEST_CRASH_AT";

    /// <summary>The local store wrote and synced a blob's temporary file (a put, or a pack writer's commit), but has not renamed it into place.</summary>
    public const string PutTempWritten = "put-temp-written";

    /// <summary>A pack was uploaded; no index file names it yet.</summary>
    public const string PackUploaded = "pack-uploaded";

    /// <summary>An index file was written (during a long backup every 128 packs, and at the end).</summary>
    public const string IndexWritten = "index-written";

    /// <summary>A backup wrote its last pack and index file and is about to write the snapshot.</summary>
    public const string BeforeSnapshot = "before-snapshot";

    /// <summary>A backup wrote its snapshot and has not yet reported it.</summary>
    public const string AfterSnapshot = "after-snapshot";

    /// <summary>Prune wrote one of its new index files (the last one supersedes the old files).</summary>
    public const string PruneIndexWritten = "prune-index-written";

    /// <summary>Prune deleted one superseded index file.</summary>
    public const string PruneIndexDeleted = "prune-index-deleted";

    /// <summary>Prune deleted one unused, repacked or unindexed pack.</summary>
    public const string PrunePackDeleted = "prune-pack-deleted";

    /// <summary>Every point the hook knows.</summary>
    public static IReadOnlyList<string> All { get; } =
        [PutTempWritten, PackUploaded, IndexWritten, BeforeSnapshot, AfterSnapshot, PruneIndexWritten, PruneIndexDeleted, PrunePackDeleted];

    private static readonly Target? s_target = Parse(Environment.GetEnvironmentVariable(EnvironmentVariable));

    /// <summary>True when the hook is armed. Reading it at startup makes a malformed variable fail before anything is written.</summary>
    public static bool IsArmed => s_target is not null;

    /// <summary>Marks that the process reached <paramref name="point"/>; kills it there if the hook says so.</summary>
    public static void Reached(string point)
    {
        if (s_target is { } target) target.Hit(point);
    }

    private static Target? Parse(string? value)
    {
        if (string.IsNullOrEmpty(value)) return null;
        var parts = value.Split(':');
        int count = 1;
        if (!All.Contains(parts[0]) || parts.Length > 2
            || (parts.Length == 2 && (!int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out count) || count < 1)))
            Environment.FailFast($"{EnvironmentVariable}='{value}' is not <point>[:<n>] with n >= 1 and a point among: {string.Join(", ", All)}");
        return new Target(parts[0], count);
    }

    private sealed class Target(string point, int count)
    {
        private int _hits;

        public void Hit(string reached)
        {
            if (reached != point || Interlocked.Increment(ref _hits) != count) return;
            // The line tells the test that the process died here, not of something else.
            Console.Error.WriteLine($"cairn: test crash at {point}:{count}");
            Console.Error.Flush();
            using var self = Process.GetCurrentProcess();
            self.Kill(); // SIGKILL: no finally blocks, no flushing, no disposal run
            Thread.Sleep(Timeout.Infinite);
        }
    }
}
