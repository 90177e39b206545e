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
        new("command", typeof(Command.CommandOptions), (name, o) => new Command.CommandComponent(name, (Command.CommandOptions)o), "Any command's standard output as one file, with an optional restore command fed it on stdin"),
        new("bucket", typeof(Bucket.BucketOptions), (name, o) => new Bucket.BucketComponent(name, (Bucket.BucketOptions)o), "Objects of an S3 bucket or Azure Blob container (prefix, include/exclude) as a source; restore writes them back"),
        new("mongodb", typeof(Mongo.MongoDbOptions), (name, o) => new Mongo.MongoDbComponent(name, (Mongo.MongoDbOptions)o), "MongoDB databases via mongodump --archive, one archive per database; restore a database or one collection, renamed or not"),
    ];

    /// <summary>The type with that config name, or null.</summary>
    public static ComponentType? Find(string name) => All.FirstOrDefault(t => t.Name == name);
}
