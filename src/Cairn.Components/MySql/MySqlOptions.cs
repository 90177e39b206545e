namespace Cairn.Components.MySql;

/// <summary>Options of a <c>mysql</c> component (MySQL or MariaDB): the server, the account, which databases.</summary>
public sealed record MySqlOptions : ComponentOptions
{
    /// <summary>The server's host name or address ("localhost" makes the client use the local socket).</summary>
    public string Host { get; init; } = "127.0.0.1";

    /// <summary>The server's TCP port.</summary>
    public int Port { get; init; } = 3306;

    /// <summary>The account mysqldump logs in as.</summary>
    public string User { get; init; } = "root";

    /// <summary>Its password; null leaves it to the client's option files (~/.my.cnf) or socket authentication.</summary>
    [Secret]
    public string? Password { get; init; }

    /// <summary>The databases to dump; empty means every database except the system schemas.</summary>
    public IReadOnlyList<string> Databases { get; init; } = [];

    /// <summary>
    /// Dump inside one transaction (<c>mysqldump --single-transaction</c>): a consistent snapshot of InnoDB tables
    /// without locking them. False falls back to mysqldump's table locks.
    /// </summary>
    public bool SingleTransaction { get; init; } = true;
}
