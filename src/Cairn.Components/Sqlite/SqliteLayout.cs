namespace Cairn.Components.Sqlite;

/// <summary>
/// Where a sqlite component's copies live in its directory: <c>databases/</c> followed by the database's absolute path
/// without its leading '/', e.g. <c>databases/var/lib/app/app.db</c>; the manifest's details map each file back to the path.
/// </summary>
internal static class SqliteLayout
{
    /// <summary>The folder of the copies.</summary>
    public const string DatabasesFolder = "databases/";

    /// <summary>The stored file of the database at <paramref name="absolutePath"/>.</summary>
    public static string FileFor(string absolutePath) => DatabasesFolder + absolutePath.TrimStart('/');

    /// <summary>The databases a stored component holds: original path and stored file.</summary>
    public static IReadOnlyList<(string Path, string File)> Databases(IReadOnlyDictionary<string, string>? details, IReadOnlyList<StoredStream> files) =>
        [.. files.Where(f => f.Path.StartsWith(DatabasesFolder, StringComparison.Ordinal))
            .Select(f => (details is not null && details.TryGetValue(f.Path, out var original) ? original : "/" + f.Path[DatabasesFolder.Length..], f.Path))];
}
