using Cairn.Orchestration.Config;
using Cairn.Orchestration.Notifications;
using Cairn.Tests.Config;

namespace Cairn.Tests.Notifications;

/// <summary>Configs with notification channels, loaded through the real loader, and events to send to them.</summary>
internal sealed class NotificationTestConfig : IDisposable
{
    private readonly ConfigTestFiles _files = new();

    public string Root => _files.Root;

    /// <summary>Fast retries, so a down channel's test ends in about a second.</summary>
    public static NotifierOptions FastRetries { get; } = new()
    {
        MaxAttempts = 3,
        FirstRetryDelay = TimeSpan.FromMilliseconds(50),
        AttemptTimeout = TimeSpan.FromSeconds(3),
        TotalTimeout = TimeSpan.FromSeconds(8),
    };

    /// <summary>A config with instance research, environment prod, jobs db-nightly (notify: <paramref name="notify"/>) and other, and these notifications.</summary>
    public CairnConfig Load(string notifications, string notify = "") => _files.Load($$$"""
        instance: research
        environment: prod
        targets: {t: {repository: /r}}
        jobs:
          db-nightly:
            targets: [t]
            rpo: 26h
            {{{notify}}}
            components: [{name: postgres, type: testdb, host: h, databases: [app]}]
          other:
            targets: [t]
            components: [{name: etc, type: files, paths: [/etc]}]
        notifications:
        {{{notifications}}}
        """);

    public string Write(string name, string text) => _files.Write(name, text);

    public static JobEvent Failure(string job = "db-nightly") => new()
    {
        Kind = NotificationEvent.Failure,
        Job = job,
        Instance = "research",
        Environment = "prod",
        Time = new DateTimeOffset(2026, 11, 23, 2, 0, 7, TimeSpan.Zero),
        Component = "postgres",
        Error = "password authentication failed for user \"backup\"",
        Hint = "check the credentials in the job's config (password, password_file or ${VARIABLE})",
        Duration = TimeSpan.FromSeconds(12.5),
        BytesRead = 1536,
        LogTail = ["pg_dump: connecting to 127.0.0.1:5432", "pg_dump: error: password authentication failed for user \"backup\""],
    };

    public static JobEvent Success(string job = "db-nightly") => new()
    {
        Kind = NotificationEvent.Success,
        Job = job,
        Instance = "research",
        Environment = "prod",
        Time = new DateTimeOffset(2026, 11, 24, 2, 3, 4, TimeSpan.Zero),
        SnapshotId = "1a2b3c4d",
        Duration = TimeSpan.FromMinutes(3) + TimeSpan.FromSeconds(4),
        BytesRead = 3L << 30,
        BytesAdded = 12L << 20,
        Files = 42,
    };

    public static JobEvent Started(string job = "db-nightly") => new()
    {
        Kind = NotificationEvent.Success,
        Started = true,
        Job = job,
        Instance = "research",
        Environment = "prod",
        Time = new DateTimeOffset(2026, 11, 24, 2, 0, 0, TimeSpan.Zero),
    };

    public void Dispose() => _files.Dispose();
}
