using System.Text.Json;
using System.Text.Json.Serialization;

namespace Cairn.Snapshots.Locking;

/// <summary>
/// The content of one lock file (locks/&lt;id&gt;, sealed JSON, docs/FORMAT.md §13): who holds which lock, since when,
/// and until when its lease runs. Every refresh writes a new file with the same <see cref="LeaseId"/>.
/// </summary>
public sealed record LockFile
{
    /// <summary>The lock format version this build writes.</summary>
    public const int CurrentVersion = 1;

    /// <summary>Lock format version.</summary>
    public int Version { get; init; } = CurrentVersion;

    /// <summary>shared or exclusive; a kind this build does not know reads as exclusive.</summary>
    [JsonConverter(typeof(LockKindJsonConverter))] public required LockKind Kind { get; init; }

    /// <summary>Random id shared by all the files one holder writes, so a holder recognises its own.</summary>
    public required string LeaseId { get; init; }

    /// <summary>Counts the holder's refreshes; keeps two files of one lease distinct even when written in the same instant.</summary>
    public long Sequence { get; init; }

    /// <summary>The holder's host name.</summary>
    public required string Hostname { get; init; }

    /// <summary>The holder's /proc/sys/kernel/random/boot_id; empty if unknown.</summary>
    public string BootId { get; init; } = "";

    /// <summary>The holder's pid namespace ("pid:[4026531836]"); empty if unknown.</summary>
    public string PidNamespace { get; init; } = "";

    /// <summary>The holder's process id.</summary>
    public int Pid { get; init; }

    /// <summary>The holder's start time in clock ticks since boot (field 22 of /proc/PID/stat), telling a reused pid apart.</summary>
    public ulong ProcessStart { get; init; }

    /// <summary>The user running the holder.</summary>
    public string Username { get; init; } = "";

    /// <summary>What the holder is doing, e.g. "cairn prune".</summary>
    public string Command { get; init; } = "";

    /// <summary>When the lease was first taken.</summary>
    public DateTimeOffset Created { get; init; }

    /// <summary>When this file was written.</summary>
    public DateTimeOffset Refreshed { get; init; }

    /// <summary>The lease length the holder chose.</summary>
    public double LeaseSeconds { get; init; }

    /// <summary>When the lease ends unless refreshed (<see cref="Refreshed"/> + lease); after that anyone may remove the file.</summary>
    public DateTimeOffset Expires { get; init; }

    private static JsonSerializerOptions JsonOptions { get; } = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>The JSON payload (before sealing).</summary>
    public byte[] ToJson() => JsonSerializer.SerializeToUtf8Bytes(this, JsonOptions);

    /// <summary>Parses a payload; throws <see cref="JsonException"/> if it is not a lock file.</summary>
    public static LockFile FromJson(ReadOnlySpan<byte> json)
    {
        var file = JsonSerializer.Deserialize<LockFile>(json, JsonOptions) ?? throw new JsonException("null");
        if (file.Version < 1) throw new JsonException($"unknown lock version {file.Version}");
        return file;
    }

    /// <summary>The lock as it counts for conflicts: a newer format's lock is honoured as exclusive, whatever it says.</summary>
    [JsonIgnore] public LockKind EffectiveKind => Version > CurrentVersion ? LockKind.Exclusive : Kind;

    /// <summary>True if a holder of <paramref name="other"/> may not run while this lock is live.</summary>
    public bool ConflictsWith(LockKind other) => other == LockKind.Exclusive || EffectiveKind == LockKind.Exclusive;

    /// <summary>Human description: "exclusive lock of 'cairn prune' (host db1, pid 4242, user root, taken 3m ago)".</summary>
    public string Describe(DateTimeOffset now) =>
        $"{(EffectiveKind == LockKind.Exclusive ? "exclusive" : "shared")} lock of '{(Command.Length > 0 ? Command : "cairn")}' " +
        $"(host {Hostname}, pid {Pid}, user {Username}, taken {Age(now - Created)} ago)";

    internal static string Age(TimeSpan age)
    {
        if (age < TimeSpan.Zero) age = TimeSpan.Zero;
        return age.TotalDays >= 1 ? $"{(int)age.TotalDays}d{age.Hours}h"
            : age.TotalHours >= 1 ? $"{(int)age.TotalHours}h{age.Minutes}m"
            : age.TotalMinutes >= 1 ? $"{(int)age.TotalMinutes}m{age.Seconds}s"
            : $"{(int)age.TotalSeconds}s";
    }
}

/// <summary>Reads "shared" and "exclusive"; anything else as exclusive, the safe reading of a kind added later.</summary>
internal sealed class LockKindJsonConverter : JsonConverter<LockKind>
{
    public override LockKind Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.TokenType == JsonTokenType.String && reader.ValueTextEquals("shared"u8) ? LockKind.Shared : LockKind.Exclusive;

    public override void Write(Utf8JsonWriter writer, LockKind value, JsonSerializerOptions options) =>
        writer.WriteStringValue(value == LockKind.Shared ? "shared" : "exclusive");
}
