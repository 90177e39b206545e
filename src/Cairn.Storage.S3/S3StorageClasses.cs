namespace Cairn.Storage.S3;

/// <summary>
/// The S3 storage classes Cairn lets data packs go to, and which of them are archives (must be restored before a GET).
/// </summary>
public static class S3StorageClasses
{
    /// <summary>The default hot class; metadata always stays here.</summary>
    public const string Standard = "STANDARD";

    /// <summary>The classes --data-storage-class accepts, as S3 spells them.</summary>
    public static IReadOnlyList<string> ForData { get; } = [Standard, "STANDARD_IA", "GLACIER_IR", "GLACIER", "DEEP_ARCHIVE"];

    /// <summary>
    /// The canonical spelling of <paramref name="name"/> (any case) if it is one of <see cref="ForData"/>; otherwise a
    /// usage error listing the choices.
    /// </summary>
    public static string Validate(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var upper = name.Trim().ToUpperInvariant();
        return ForData.Contains(upper)
            ? upper
            : throw new CairnException($"--data-storage-class: '{name}' is not an S3 storage class for data packs; choose one of {string.Join(", ", ForData)}",
                ExitCode.Usage);
    }

    /// <summary>
    /// True for classes whose objects cannot be read until restored (GLACIER Flexible Retrieval, DEEP_ARCHIVE).
    /// GLACIER_IR ("instant retrieval") is read like STANDARD, only dearer per read.
    /// </summary>
    public static bool IsArchive(string? storageClass) => storageClass is "GLACIER" or "DEEP_ARCHIVE";

    /// <summary>
    /// What <see cref="BlobInfo.StorageClass"/> holds: the service's class name, or null for STANDARD, which S3 reports
    /// by omitting the header (HEAD) or naming it (listings), so both read the same.
    /// </summary>
    internal static string? Reported(string? storageClass) =>
        string.IsNullOrEmpty(storageClass) || storageClass == Standard ? null : storageClass;
}
