namespace Cairn.Components.Sqlite;

/// <summary>Options of a <c>sqlite</c> component.</summary>
public sealed record SqliteOptions : ComponentOptions
{
    /// <summary>The database files, by absolute path.</summary>
    public required IReadOnlyList<string> Paths { get; init; }

    /// <summary>How long to wait for a writer that holds the database locked before the component fails.</summary>
    public TimeSpan BusyTimeout { get; init; } = TimeSpan.FromSeconds(30);
}
