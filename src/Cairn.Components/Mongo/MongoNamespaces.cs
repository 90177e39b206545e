namespace Cairn.Components.Mongo;

/// <summary>
/// Turns a restore request (--database D, --table C, --as NEW) into mongorestore's namespace options: --nsInclude for
/// the part to restore, --nsFrom/--nsTo for a new name. Names are escaped for mongorestore's patterns.
/// </summary>
public static class MongoNamespaces
{
    /// <summary>
    /// The namespace arguments for restoring <paramref name="database"/>'s archive: all of it, one collection
    /// (<paramref name="collection"/>), renamed to <paramref name="newName"/> (a database; with a collection, a
    /// collection name or "database.collection").
    /// </summary>
    public static IReadOnlyList<string> Arguments(string database, string? collection, string? newName)
    {
        ArgumentException.ThrowIfNullOrEmpty(database);
        var source = collection is null ? Include(database) + ".*" : Include(database) + "." + Include(collection);
        var arguments = new List<string> { "--nsInclude", source };
        if (newName is null) return arguments;
        if (newName.Length == 0) throw new CairnException("--as needs a name", ExitCode.Usage);
        if (collection is null)
        {
            if (newName.Contains('.', StringComparison.Ordinal))
                throw new CairnException($"--as '{newName}': a database name has no '.' (to rename one collection, give --table too)", ExitCode.Usage);
            arguments.AddRange(["--nsFrom", Rename(database) + ".*", "--nsTo", Rename(newName) + ".*"]);
        }
        else
        {
            var dot = newName.IndexOf('.', StringComparison.Ordinal);
            var (toDatabase, toCollection) = dot > 0 ? (newName[..dot], newName[(dot + 1)..]) : (database, newName);
            if (toCollection.Length == 0) throw new CairnException($"--as '{newName}' names no collection", ExitCode.Usage);
            arguments.AddRange(["--nsFrom", Rename(database) + "." + Rename(collection), "--nsTo", Rename(toDatabase) + "." + Rename(toCollection)]);
        }

        return arguments;
    }

    // --nsInclude patterns: '*' is the wildcard and '\' escapes.
    private static string Include(string name) => name.Replace(@"\", @"\\", StringComparison.Ordinal).Replace("*", @"\*", StringComparison.Ordinal);

    // --nsFrom/--nsTo patterns also use $name$ variables.
    private static string Rename(string name) => Include(name).Replace("$", @"\$", StringComparison.Ordinal);
}
