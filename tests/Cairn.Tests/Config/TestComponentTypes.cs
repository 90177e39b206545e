using System.ComponentModel;
using Cairn.Components;

namespace Cairn.Tests.Config;

public enum TestFormat
{
    Custom,
    DirectoryTree,
}

[Description("Where to connect, over TLS.")]
public sealed record TestTls
{
    [Description("CA bundle file.")]
    public required string CaFile { get; init; }

    public bool Verify { get; init; } = true;
}

/// <summary>Options of the test-only "testdb" type: one property of each kind the binder supports.</summary>
public sealed record TestDbOptions : ComponentOptions
{
    [Description("Server host name.")]
    public required string Host { get; init; }

    public int Port { get; init; } = 5432;

    public long MaxBytes { get; init; }

    public bool Compress { get; init; }

    public required IReadOnlyList<string> Databases { get; init; }

    public TestFormat Format { get; init; } = TestFormat.Custom;

    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(5);

    public TestTls? Tls { get; init; }

    [Secret] public string? Password { get; init; }

    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();
}

/// <summary>Options of the test-only "files" type.</summary>
public sealed record TestFilesOptions : ComponentOptions
{
    public required IReadOnlyList<string> Paths { get; init; }

    public IReadOnlyList<string> Excludes { get; init; } = [];
}

/// <summary>A component that does nothing: config tests only bind and list, never run.</summary>
internal sealed class InertComponent(string name) : Cairn.Components.IComponent
{
    public string Name { get; } = name;

    public Task BackupAsync(IComponentBackup backup, CancellationToken cancellationToken) => Task.CompletedTask;

    public Task RestoreAsync(IComponentRestore source, ComponentRestoreRequest request, CancellationToken cancellationToken) => Task.CompletedTask;
}

internal static class TestComponentTypes
{
    public static IReadOnlyList<ComponentType> All { get; } =
    [
        new("testdb", typeof(TestDbOptions), (name, _) => new InertComponent(name), "A test database."),
        new("files", typeof(TestFilesOptions), (name, _) => new InertComponent(name), "Test file trees."),
    ];
}
