using Azure.Storage.Blobs.Models;

namespace Cairn.Storage.Azure;

/// <summary>Azure access tiers as Cairn uses them: parsing --data-storage-class and reporting a blob's tier.</summary>
public static class AzureTiers
{
    private static readonly AccessTier[] s_dataTiers = [AccessTier.Hot, AccessTier.Cool, AccessTier.Cold, AccessTier.Archive];

    /// <summary>
    /// The tier for data packs named by <paramref name="storageClass"/> (case-insensitive Hot, Cool, Cold or Archive), or
    /// null when none was asked for. Anything else is a usage error, raised before the service is contacted.
    /// </summary>
    public static AccessTier? ParseDataTier(string? storageClass)
    {
        if (storageClass is null) return null;
        foreach (var tier in s_dataTiers)
        {
            if (string.Equals(tier.ToString(), storageClass.Trim(), StringComparison.OrdinalIgnoreCase)) return tier;
        }

        throw new CairnException(
            $"--data-storage-class '{storageClass}' is not an Azure access tier: use Hot, Cool, Cold or Archive", ExitCode.Usage);
    }

    /// <summary>What <see cref="BlobInfo.StorageClass"/> reports: null for Hot (the default hot class), else the tier's name.</summary>
    public static string? ReportedClass(AccessTier? tier) => tier is null || tier == AccessTier.Hot ? null : tier.Value.ToString();

    /// <summary>True for the Archive tier, whose blobs must be rehydrated before they can be read.</summary>
    public static bool IsArchived(AccessTier? tier) => tier == AccessTier.Archive;

    /// <summary>True when the service reports a rehydration in progress (rehydrate-pending-to-hot/cool/cold).</summary>
    public static bool IsRehydrating(string? archiveStatus) =>
        archiveStatus?.StartsWith("rehydrate-pending", StringComparison.OrdinalIgnoreCase) == true;

    /// <summary>
    /// The rehydrate priority for a thaw: "High" or "Standard"; S3's words are accepted too so one --thaw-priority
    /// can serve both services ("Expedited" is High, "Bulk" is Standard).
    /// </summary>
    public static RehydratePriority ParsePriority(string priority) => priority?.Trim().ToUpperInvariant() switch
    {
        "HIGH" or "EXPEDITED" => RehydratePriority.High,
        "STANDARD" or "BULK" or null or "" => RehydratePriority.Standard,
        _ => throw new CairnException($"thaw priority '{priority}' is not an Azure rehydrate priority: use High or Standard", ExitCode.Usage),
    };
}
