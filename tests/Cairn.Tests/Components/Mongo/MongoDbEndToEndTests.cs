using Cairn.Components;
using Cairn.Components.Mongo;
using Cairn.Components.Tools;
using Cairn.Snapshots;
using MongoDB.Bson;
using MongoDB.Driver;

namespace Cairn.Tests.Components.Mongo;

// No MongoDB server can be installed on this project's machines (see README, "mongodb"): the round trip below runs
// only when MONGODB_URI names a server it may write to, with mongodump and mongorestore on PATH.
public sealed class MongoDbEndToEndTests
{
    [Fact]
    public async Task A_server_that_cannot_be_dumped_leaves_a_failed_snapshot_with_the_reason()
    {
        await using var harness = await ComponentHarness.CreateAsync();
        var component = new MongoDbComponent("mongo", new MongoDbOptions { Host = "127.0.0.1", Port = 1, User = "u", Password = "secret-pw" });

        var snapshot = await harness.BackupAsync("mongo", component);

        Assert.Equal(SnapshotStatus.Failed, snapshot.Status);
        var error = snapshot.Components[0].Error;
        Assert.NotNull(error);
        Assert.DoesNotContain("secret-pw", error, StringComparison.Ordinal);
        // Here mongodump is missing (Debian has no package); where it is installed, nothing listens on port 1.
        Assert.Contains(ToolRunner.Find("mongodump") is null ? "mongodb-database-tools" : "127.0.0.1:1", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Backup_drop_restore_compare_and_one_collection_under_a_new_name_when_MONGODB_URI_is_set()
    {
        if (Environment.GetEnvironmentVariable("MONGODB_URI") is not { Length: > 0 } uri) return;
        var client = new MongoClient(uri);
        var name = "cairn_test_" + Guid.NewGuid().ToString("N")[..8];
        var database = client.GetDatabase(name);
        try
        {
            var users = database.GetCollection<BsonDocument>("users");
            var orders = database.GetCollection<BsonDocument>("orders");
            await users.InsertManyAsync(Enumerable.Range(0, 2000).Select(i => new BsonDocument { ["_id"] = i, ["name"] = $"user {i}", ["score"] = i * 7 % 101 }));
            await orders.InsertManyAsync(Enumerable.Range(0, 500).Select(i => new BsonDocument { ["_id"] = i, ["user"] = i % 2000, ["total"] = i * 1.5 }));
            var originalUsers = await AllAsync(users);
            var originalOrders = await AllAsync(orders);

            await using var harness = await ComponentHarness.CreateAsync();
            var component = new MongoDbComponent("mongo", new MongoDbOptions { Uri = uri, Databases = [name] });
            var snapshot = await harness.BackupAsync("mongo", component);

            Assert.Equal(SnapshotStatus.Complete, snapshot.Status);
            var entry = snapshot.Components[0];
            Assert.Contains($"{name}.users", entry.Items!);
            Assert.StartsWith("MongoDB ", entry.ServerVersion, StringComparison.Ordinal);
            Assert.StartsWith("mongodump", entry.Tool, StringComparison.Ordinal);

            // Deliberate damage: a dropped collection, deleted and added documents.
            await orders.Database.DropCollectionAsync("orders");
            await users.DeleteManyAsync(Builders<BsonDocument>.Filter.Lt("_id", 1000));
            await users.InsertOneAsync(new BsonDocument { ["_id"] = 99999, ["name"] = "intruder" });

            await harness.RestoreAsync(snapshot, "mongo", component, new ComponentRestoreRequest { Database = name });
            Assert.Equal(originalUsers, await AllAsync(users));
            Assert.Equal(originalOrders, await AllAsync(orders));

            await harness.RestoreAsync(snapshot, "mongo", component, new ComponentRestoreRequest { Database = name, Table = "users", NewName = "users_copy" });
            Assert.Equal(originalUsers, await AllAsync(database.GetCollection<BsonDocument>("users_copy")));

            var second = await harness.BackupAsync("mongo", new MongoDbComponent("mongo", new MongoDbOptions { Uri = uri, Databases = [name] }));
            Assert.Equal(SnapshotStatus.Complete, second.Status);
            Assert.True(second.Components[0].BytesAdded < second.Components[0].Bytes / 2,
                $"second backup added {second.Components[0].BytesAdded} of {second.Components[0].Bytes} bytes");
        }
        finally
        {
            await client.DropDatabaseAsync(name);
        }
    }

    private static async Task<List<string>> AllAsync(IMongoCollection<BsonDocument> collection) =>
        (await collection.Find(FilterDefinition<BsonDocument>.Empty).Sort(Builders<BsonDocument>.Sort.Ascending("_id")).ToListAsync())
        .Select(d => d.ToJson()).ToList();
}
