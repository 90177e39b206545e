namespace Cairn.Components;

/// <summary>
/// Base of every component type's typed options (one sealed record per type, e.g. <c>PostgresOptions</c>). The config
/// file binds a component's YAML keys to the record's properties by their snake_case names (<c>PasswordFile</c> ↔
/// <c>password_file</c>); <c>required</c> properties must be given, the others keep their initial values. Supported
/// property types: string, bool, int, long, enums (by lower-case name), <see cref="TimeSpan"/> (written "30s", "5m"),
/// lists of these, string→string dictionaries, and nested records made of the same.
/// </summary>
public abstract record ComponentOptions;

/// <summary>
/// Marks a string option as a secret. The config accepts it either inline (<c>password: ${PG_PASSWORD}</c>) or as
/// <c>&lt;name&gt;_file</c> (<c>password_file: /etc/cairn/pg.pass</c>), whose first line the loader reads into the
/// property, so components see the value and never a file name. Secrets are never written to a snapshot's manifest.
/// </summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class SecretAttribute : Attribute;
