using System.ComponentModel;
using Cairn.Components;

namespace Cairn.Orchestration.Config;

/// <summary>
/// Layer 6: a loaded, validated config file (<c>cairn.yaml</c>) with the environment's overrides applied, every
/// <c>${VAR}</c> interpolated and every <c>*_file</c> secret read. Nothing in it needs checking again.
/// </summary>
public sealed record CairnConfig
{
    /// <summary>The file it was loaded from, for messages.</summary>
    public required string SourcePath { get; init; }

    /// <summary>The installation this config describes (recorded in each snapshot), e.g. "research".</summary>
    [Description("The installation this file describes, recorded in each snapshot (e.g. research).")]
    public string? Instance { get; init; }

    /// <summary>The environment whose overrides were applied (dev/test/prod; recorded in each snapshot).</summary>
    public string? Environment { get; init; }

    /// <summary>Named repositories, by name.</summary>
    [Description("Named repositories that jobs write to.")]
    public required IReadOnlyDictionary<string, TargetDefinition> Targets { get; init; }

    /// <summary>Named jobs, by name, in file order.</summary>
    [Description("Named jobs: each backs up its components into one snapshot per target.")]
    public required IReadOnlyList<JobDefinition> Jobs { get; init; }

    /// <summary>The job of that name, or null.</summary>
    public JobDefinition? FindJob(string name) => Jobs.FirstOrDefault(j => j.Name == name);
}

[Description("A named repository that jobs write to: where it is and how to get its password.")]
/// <summary>A named repository a job writes to: where it is and how to get its password.</summary>
public sealed record TargetDefinition
{
    /// <summary>The target's name in the config.</summary>
    public required string Name { get; init; }

    /// <summary>A repository location as <c>-r</c> takes it (a path, s3:…, azure:…, sftp:…, rest:…, rclone:…).</summary>
    [Description("Repository location, as -r takes it: a directory, or s3:…, azure:…, sftp:…, rest:…, rclone:….")]
    public required string Repository { get; init; }

    /// <summary>The password (inline, or read from <c>password_file</c>).</summary>
    [Description("The repository password (better: password_file, or ${VARIABLE}).")]
    [Secret] public string? Password { get; init; }

    /// <summary>A command whose first line of output is the password (as CAIRN_PASSWORD_COMMAND).</summary>
    [Description("A command whose first line of output is the repository password.")]
    public string? PasswordCommand { get; init; }
}

/// <summary>A named set of components backed up together into one snapshot per target.</summary>
public sealed record JobDefinition
{
    /// <summary>The job's name (<c>cairn job run NAME</c>).</summary>
    public required string Name { get; init; }

    /// <summary>Names of the targets it writes to, in order; the first is the primary.</summary>
    [Description("Names of the targets the job writes to; the first is the primary.")]
    public required IReadOnlyList<string> Targets { get; init; }

    /// <summary>Its components, in file order (the order they run in).</summary>
    [Description("What the job backs up, in the order it runs: each has a name, a type and the type's options.")]
    public required IReadOnlyList<ComponentDefinition> Components { get; init; }

    /// <summary>Tags added to each snapshot of the job.</summary>
    [Description("Tags added to each snapshot of the job.")]
    public IReadOnlyList<string> Tags { get; init; } = [];

    /// <summary>The host name recorded in snapshots (default: this machine's).</summary>
    [Description("Host name recorded in the job's snapshots (default: this machine's).")]
    public string? Host { get; init; }
}

/// <summary>One component of a job: its name, its type and its bound options.</summary>
public sealed record ComponentDefinition(string Name, ComponentType Type, ComponentOptions Options)
{
    /// <summary>Makes the component instance for one run.</summary>
    public Cairn.Components.IComponent Create() => Type.Create(Name, Options);
}
