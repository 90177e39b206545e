using MongoDB.Bson;
using MongoDB.Driver;

namespace Cairn.Components.Mongo;

/// <summary>What the server says about itself through the official driver: its version, databases and collections.</summary>
internal static class MongoServer
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(15);

    /// <summary>The server's version and, per database (the given ones, or all but local and config), its collections.</summary>
    public static async Task<(string Version, SortedDictionary<string, List<string>> Databases)> DescribeAsync(
        MongoConnection connection, IReadOnlyList<string> databases, CancellationToken cancellationToken)
    {
        var settings = MongoClientSettings.FromConnectionString(connection.DriverUri());
        settings.ServerSelectionTimeout = s_timeout;
        settings.ConnectTimeout = s_timeout;
        using var client = new MongoClient(settings);
        var info = await client.GetDatabase("admin").RunCommandAsync<BsonDocument>(new BsonDocument("buildInfo", 1), cancellationToken: cancellationToken)
            .ConfigureAwait(false);
        var version = "MongoDB " + info.GetValue("version", "unknown").AsString;

        var names = databases.Count > 0 ? databases.ToList() : await ListDatabasesAsync(client, cancellationToken).ConfigureAwait(false);
        var result = new SortedDictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var name in names)
        {
            var cursor = await client.GetDatabase(name).ListCollectionNamesAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
            var collections = await cursor.ToListAsync(cancellationToken).ConfigureAwait(false);
            collections.Sort(StringComparer.Ordinal);
            result[name] = collections;
        }

        return (version, result);
    }

    private static async Task<List<string>> ListDatabasesAsync(MongoClient client, CancellationToken cancellationToken)
    {
        var cursor = await client.ListDatabaseNamesAsync(cancellationToken).ConfigureAwait(false);
        var names = await cursor.ToListAsync(cancellationToken).ConfigureAwait(false);
        // "local" is each member's own (oplog, replica set state) and "config" the cluster's metadata: mongodump skips both.
        return [.. names.Where(n => n is not ("local" or "config"))];
    }
}
