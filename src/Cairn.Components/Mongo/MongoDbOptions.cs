namespace Cairn.Components.Mongo;

/// <summary>Options of a <c>mongodb</c> component: the server, the databases, and extra mongodump/mongorestore options.</summary>
public sealed record MongoDbOptions : ComponentOptions
{
    /// <summary>
    /// A connection string (mongodb://… or mongodb+srv://…); it may hold the password, so it is a secret (uri_file).
    /// When given, host, port and auth_database are not used; user and password fill in what the URI leaves out.
    /// </summary>
    [Secret]
    public string? Uri { get; init; }

    /// <summary>The server's host, when no <see cref="Uri"/> is given.</summary>
    public string Host { get; init; } = "127.0.0.1";

    /// <summary>The server's port, when no <see cref="Uri"/> is given.</summary>
    public int Port { get; init; } = 27017;

    /// <summary>The user to authenticate as; none for a server without authentication.</summary>
    public string? User { get; init; }

    /// <summary>The user's password.</summary>
    [Secret]
    public string? Password { get; init; }

    /// <summary>The database the user is defined in (authSource); default "admin" when a user is given.</summary>
    public string? AuthDatabase { get; init; }

    /// <summary>The databases to back up, one archive each; empty: every database but "local" and "config".</summary>
    public List<string> Databases { get; init; } = [];

    /// <summary>Extra mongodump arguments (e.g. "--readPreference=secondary", "--oplog" is not possible per database).</summary>
    public List<string> DumpOptions { get; init; } = [];

    /// <summary>Extra mongorestore arguments (e.g. "--noIndexRestore", "--writeConcern={w:1}").</summary>
    public List<string> RestoreOptions { get; init; } = [];

    /// <summary>Whether restore drops each collection before restoring it (mongorestore --drop), so it ends equal to the backup.</summary>
    public bool Drop { get; init; } = true;
}
