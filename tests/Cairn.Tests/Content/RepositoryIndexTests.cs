using Cairn.Content;
using Cairn.Content.Index;
using Cairn.Content.Packs;

namespace Cairn.Tests.Content;

/// <summary>The compact blob index: lookups, first-location-wins, forgetting, enumeration, and reads during writes.</summary>
public sealed class RepositoryIndexTests
{
    private static ObjectId Id(int n, int salt = 0) => new(System.Security.Cryptography.SHA256.HashData(BitConverter.GetBytes(n * 7919 + salt)));

    private static BlobEntry Blob(int n, uint offset) => new(n % 2 == 0 ? ObjectType.Data : ObjectType.Tree, n % 3 == 0 ? BlobFlags.Compressed : BlobFlags.None, Id(n), offset, (uint)(n + 100), (uint)(n + 200));

    [Fact]
    public void Every_added_blob_is_found_with_its_pack_and_entry_and_unknown_ids_are_not()
    {
        var index = new RepositoryIndex();
        const int Packs = 300, PerPack = 50;
        for (int p = 0; p < Packs; p++)
            index.AddPack(Id(p, salt: 1), [.. Enumerable.Range(p * PerPack, PerPack).Select(n => Blob(n, (uint)(n - p * PerPack) * 1000))]);

        Assert.Equal(Packs * PerPack, index.Count);
        Assert.Equal(Packs, index.PackIds.Count);
        for (int n = 0; n < Packs * PerPack; n++)
        {
            Assert.True(index.TryGet(Id(n), out var location));
            Assert.Equal(Id(n / PerPack, salt: 1), location.PackId);
            Assert.Equal(Blob(n, (uint)(n % PerPack) * 1000), location.Entry);
        }
        Assert.False(index.Contains(Id(-5)));
        Assert.Equal(Packs * PerPack, index.Entries.Count());
        Assert.Equal(Packs * PerPack, index.Entries.Select(e => e.Key).Distinct().Count());
    }

    [Fact]
    public void A_blob_in_two_packs_keeps_its_first_location()
    {
        var index = new RepositoryIndex();
        index.AddPack(Id(1, salt: 1), [Blob(7, 10)]);
        index.AddPack(Id(2, salt: 1), [Blob(7, 20)]);
        Assert.True(index.TryGet(Id(7), out var location));
        Assert.Equal(Id(1, salt: 1), location.PackId);
        Assert.Equal(10u, location.Entry.Offset);
        Assert.Equal(1, index.Count);
    }

    [Fact]
    public void A_forgotten_blob_is_gone_until_it_is_stored_again_and_growth_keeps_the_rest()
    {
        var index = new RepositoryIndex();
        index.AddPack(Id(1, salt: 1), [.. Enumerable.Range(0, 100).Select(n => Blob(n, (uint)n))]);
        Assert.True(index.Remove(Id(42)));
        Assert.False(index.Remove(Id(42)));
        Assert.False(index.Contains(Id(42)));
        Assert.Equal(99, index.Count);
        Assert.DoesNotContain(index.Entries, e => e.Key == Id(42));

        index.AddPack(Id(2, salt: 1), [Blob(42, 4242)]);
        // Enough new blobs to grow the table past the forgotten slot several times.
        index.AddPack(Id(3, salt: 1), [.. Enumerable.Range(1000, 5000).Select(n => Blob(n, (uint)n))]);
        Assert.True(index.TryGet(Id(42), out var location));
        Assert.Equal(Id(2, salt: 1), location.PackId);
        Assert.Equal(4242u, location.Entry.Offset);
        Assert.Equal(5100, index.Count);
        Assert.All(Enumerable.Range(0, 100), n => Assert.True(index.Contains(Id(n))));
    }

    [Fact]
    public async Task Readers_never_see_a_torn_or_missing_entry_while_packs_are_added()
    {
        var index = new RepositoryIndex();
        const int Packs = 400, PerPack = 40;
        int published = 0;
        using var done = new CancellationTokenSource();
        var readers = Enumerable.Range(0, 2).Select(r => Task.Run(() =>
        {
            var random = new Random(r);
            while (!done.IsCancellationRequested)
            {
                int known = Volatile.Read(ref published);
                if (known == 0) continue;
                int n = random.Next(known * PerPack);
                if (!index.TryGet(Id(n), out var location)) throw new InvalidOperationException($"blob {n} of a published pack is missing");
                if (location.PackId != Id(n / PerPack, salt: 1) || location.Entry != Blob(n, (uint)(n % PerPack)))
                    throw new InvalidOperationException($"blob {n} has a torn entry");
            }
        })).ToArray();
        for (int p = 0; p < Packs; p++)
        {
            index.AddPack(Id(p, salt: 1), [.. Enumerable.Range(p * PerPack, PerPack).Select(n => Blob(n, (uint)(n % PerPack)))]);
            Volatile.Write(ref published, p + 1);
        }
        await done.CancelAsync();
        await Task.WhenAll(readers);
        Assert.Equal(Packs * PerPack, index.Count);
    }
}
