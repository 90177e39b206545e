using Cairn.Content.Packs;

namespace Cairn.Content.Index;

/// <summary>Where a blob lives: its pack and its entry in that pack.</summary>
public readonly record struct BlobLocation(ObjectId PackId, BlobEntry Entry);
