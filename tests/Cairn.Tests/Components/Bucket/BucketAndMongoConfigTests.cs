using Cairn.Components;
using Cairn.Components.Bucket;
using Cairn.Components.Mongo;
using Cairn.Orchestration.Config;

namespace Cairn.Tests.Components.Bucket;

// The YAML keys the README documents for the bucket and mongodb types bind to their options, secrets through *_file.
public sealed class BucketAndMongoConfigTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "cairn-bm-config-" + Guid.NewGuid().ToString("N")[..12]);

    public BucketAndMongoConfigTests() => Directory.CreateDirectory(_root);

    [Fact]
    public void Documented_keys_bind_and_secrets_come_from_files()
    {
        File.WriteAllText(Path.Combine(_root, "s3.secret"), "s3-secret\n");
        File.WriteAllText(Path.Combine(_root, "mongo.pass"), "mongo-pw\n");
        var path = Path.Combine(_root, "cairn.yaml");
        File.WriteAllText(path, $"""
            targets:
              primary: {"{"}repository: {_root}/repo, password: x{"}"}
            jobs:
              platform:
                targets: [primary]
                components:
                  - name: assets
                    type: bucket
                    url: s3:https://minio.internal:9000/assets/site
                    include: [img/, "**/*.json"]
                    exclude: [tmp/]
                    access_key_id: AKIA1
                    secret_access_key_file: {_root}/s3.secret
                    connections: 8
                    timeout: 90s
                  - name: uploads
                    type: bucket
                    url: azure:uploads
                    account_name: acme
                    account_key: ${"{"}AZ_KEY{"}"}
                  - name: mongo
                    type: mongodb
                    host: db1
                    port: 27018
                    user: backup
                    password_file: {_root}/mongo.pass
                    auth_database: users
                    databases: [app, reports]
                    dump_options: ["--readPreference=secondary"]
                    drop: false
            """);

        var config = ConfigLoader.Load(path, null, new Dictionary<string, string?> { ["AZ_KEY"] = "azkey" }, ComponentCatalog.All);

        var components = config.FindJob("platform")!.Components;
        var assets = Assert.IsType<BucketOptions>(components[0].Options);
        Assert.Equal("s3:https://minio.internal:9000/assets/site", assets.Url);
        Assert.Equal(["img/", "**/*.json"], assets.Include);
        Assert.Equal(["tmp/"], assets.Exclude);
        Assert.Equal(("AKIA1", "s3-secret", 8, TimeSpan.FromSeconds(90)), (assets.AccessKeyId, assets.SecretAccessKey, assets.Connections, assets.Timeout));
        Assert.IsType<BucketComponent>(components[0].Create());
        var uploads = Assert.IsType<BucketOptions>(components[1].Options);
        Assert.Equal(("acme", "azkey"), (uploads.AccountName, uploads.AccountKey));
        var mongo = Assert.IsType<MongoDbOptions>(components[2].Options);
        Assert.Equal(("db1", 27018, "backup", "mongo-pw", "users", false), (mongo.Host, mongo.Port, mongo.User, mongo.Password, mongo.AuthDatabase, mongo.Drop));
        Assert.Equal(["app", "reports"], mongo.Databases);
        Assert.Equal(["--readPreference=secondary"], mongo.DumpOptions);
        Assert.IsType<MongoDbComponent>(components[2].Create());
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);
}
