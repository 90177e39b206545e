namespace Cairn.Components;

/// <summary>A kind of component: its config name, its options record, and how to make an instance from them.</summary>
/// <param name="Name">The <c>type:</c> value in the config file, e.g. "postgres".</param>
/// <param name="OptionsType">The sealed <see cref="ComponentOptions"/> record its YAML keys bind to.</param>
/// <param name="Create">Makes the component from its name and bound options.</param>
/// <param name="Summary">One line for <c>cairn job list</c>, the JSON Schema and the docs.</param>
public sealed record ComponentType(string Name, Type OptionsType, Func<string, ComponentOptions, IComponent> Create, string Summary);

/// <summary>Every component type this build knows, by config name. Each type adds one line here.</summary>
public static class ComponentCatalog
{
    /// <summary>All types, in the order the docs list them.</summary>
    public static IReadOnlyList<ComponentType> All { get; } =
    [
        new("files", typeof(Files.FilesOptions), (name, o) => new Files.FilesComponent(name, (Files.FilesOptions)o), "File trees (paths, excludes) with optional pre and post hook commands"),
        new("rabbitmq", typeof(RabbitMq.RabbitMqOptions), (name, o) => new RabbitMq.RabbitMqComponent(name, (RabbitMq.RabbitMqOptions)o), "RabbitMQ definitions (vhosts, queues, exchanges, bindings, policies, users) via the management API"),
        new("http", typeof(Http.HttpOptions), (name, o) => new Http.HttpComponent(name, (Http.HttpOptions)o), "Documents from HTTP APIs (Consul KV, Marathon, Chronos, Grafana presets, or your own requests), restored by PUT/POST"),
        new("mysql", typeof(MySql.MySqlOptions), (name, o) => new MySql.MySqlComponent(name, (MySql.MySqlOptions)o), "MySQL/MariaDB databases via one consistent mysqldump, stored one stream per table"),
        new("redis", typeof(Redis.RedisOptions), (name, o) => new Redis.RedisComponent(name, (Redis.RedisOptions)o), "Redis: an RDB snapshot (redis-cli --rdb) and every key as DUMP + expiry, for RESTORE into a running server"),
        new("command", typeof(Command.CommandOptions), (name, o) => new Command.CommandComponent(name, (Command.CommandOptions)o), "Any command's standard output as one file, with an optional restore command fed it on stdin"),
        new("etcd", typeof(Etcd.EtcdOptions), (name, o) => new Etcd.EtcdComponent(name, (Etcd.EtcdOptions)o), "etcd v3 clusters (also Kubernetes): a v3 snapshot and a logical export of all keys"),
        new("prometheus", typeof(Prometheus.PrometheusOptions), (name, o) => new Prometheus.PrometheusComponent(name, (Prometheus.PrometheusOptions)o), "Prometheus: a TSDB snapshot through the admin API, plus config and rule files"),
        new("postgres", typeof(Postgres.PostgresOptions), (name, o) => new Postgres.PostgresComponent(name, (Postgres.PostgresOptions)o),
            "PostgreSQL databases via pg_dump (custom format, uncompressed) and the roles via pg_dumpall --globals-only"),
        new("sqlite", typeof(Sqlite.SqliteOptions), (name, o) => new Sqlite.SqliteComponent(name, (Sqlite.SqliteOptions)o),
            "SQLite database files, copied with SQLite's online backup API"),
        new("bucket", typeof(Bucket.BucketOptions), (name, o) => new Bucket.BucketComponent(name, (Bucket.BucketOptions)o), "Objects of an S3 bucket or Azure Blob container (prefix, include/exclude) as a source; restore writes them back"),
        new("mongodb", typeof(Mongo.MongoDbOptions), (name, o) => new Mongo.MongoDbComponent(name, (Mongo.MongoDbOptions)o), "MongoDB databases via mongodump --archive, one archive per database; restore a database or one collection, renamed or not"),
    ];

    /// <summary>The type with that config name, or null.</summary>
    public static ComponentType? Find(string name) => All.FirstOrDefault(t => t.Name == name);
}
