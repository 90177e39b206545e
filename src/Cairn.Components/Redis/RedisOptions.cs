namespace Cairn.Components.Redis;

/// <summary>Options of a <c>redis</c> component: the server, the account, and which of the two backups to take.</summary>
public sealed record RedisOptions : ComponentOptions
{
    /// <summary>The server's host name or address.</summary>
    public string Host { get; init; } = "127.0.0.1";

    /// <summary>The server's TCP port.</summary>
    public int Port { get; init; } = 6379;

    /// <summary>An ACL user name (Redis 6+); null uses the default user.</summary>
    public string? Username { get; init; }

    /// <summary>The password (requirepass, or the ACL user's); null for a server without one.</summary>
    [Secret]
    public string? Password { get; init; }

    /// <summary>The logical databases (0–15…) whose keys are exported; empty means every database that has keys.</summary>
    public IReadOnlyList<int> Databases { get; init; } = [];

    /// <summary>Store an RDB snapshot of the whole server, taken with <c>redis-cli --rdb</c> (restores into a data directory).</summary>
    public bool Rdb { get; init; } = true;

    /// <summary>Store every key as DUMP payload + expiry (restores into a running server, all keys or those matching a pattern).</summary>
    public bool Logical { get; init; } = true;
}
