using System.Security.Cryptography;
using System.Text;
using Cairn.Content;
using Cairn.Content.Crypto;

namespace Cairn.Tests.Content;

public sealed class CryptoTests
{
    private static readonly MasterKey s_key = new(TestData.Sequence(MasterKey.Length));
    private static readonly ObjectId s_id = new(TestData.Sequence(ObjectId.Length, 100));

    [Fact]
    public void Master_key_derivations_are_distinct_and_deterministic()
    {
        var again = new MasterKey(TestData.Sequence(MasterKey.Length));
        Assert.Equal(s_key.EncryptionKey, again.EncryptionKey);
        Assert.Equal(s_key.IdKey, again.IdKey);
        Assert.Equal(s_key.ChunkerKey, again.ChunkerKey);
        var all = new[] { s_key.EncryptionKey, s_key.IdKey, s_key.ChunkerKey, s_key.Secret.ToArray() };
        Assert.Equal(4, all.Select(Convert.ToHexString).Distinct().Count());
        Assert.All(all, k => Assert.Equal(32, k.Length));
    }

    [Fact]
    public void Master_key_derivations_follow_the_documented_hkdf()
    {
        var secret = TestData.Sequence(MasterKey.Length);
        byte[] Expected(string label) => HKDF.DeriveKey(HashAlgorithmName.SHA256, secret, 32, [], Encoding.UTF8.GetBytes(label));
        Assert.Equal(Expected("cairn/v1/encryption"), s_key.EncryptionKey);
        Assert.Equal(Expected("cairn/v1/object-id"), s_key.IdKey);
        Assert.Equal(Expected("cairn/v1/chunker"), s_key.ChunkerKey);
        // Pinned so a change to the derivation cannot slip through as a "consistent" refactor.
        Assert.Equal("f90930491574915443238652c949e276f78adc27bc9be82afe44bf326d6d3623", Convert.ToHexStringLower(s_key.EncryptionKey));
    }

    [Fact]
    public void Generated_master_keys_differ()
    {
        Assert.NotEqual(MasterKey.Generate().Secret.ToArray(), MasterKey.Generate().Secret.ToArray());
    }

    [Fact]
    public void Seal_and_open_round_trip()
    {
        var cipher = new ObjectCipher(s_key);
        foreach (int length in new[] { 0, 1, 15, 16, 17, 4096, 1 << 20 })
        {
            var plaintext = TestData.Random(length, (ulong)length + 1);
            var sealedBytes = cipher.Seal(ObjectType.Data, s_id, plaintext);
            Assert.Equal(ObjectCipher.SealedLength(length), sealedBytes.Length);
            Assert.Equal(plaintext, cipher.Open(ObjectType.Data, s_id, sealedBytes, "test"));
            var opened = new byte[length];
            Assert.True(cipher.TryOpen(ObjectType.Data, s_id, sealedBytes, opened));
            Assert.Equal(plaintext, opened);
        }
    }

    [Fact]
    public void Seal_into_span_matches_layout_and_uses_fresh_nonces()
    {
        var cipher = new ObjectCipher(s_key.EncryptionKey);
        var plaintext = Encoding.UTF8.GetBytes("hello, cairn");
        var a = new byte[ObjectCipher.SealedLength(plaintext.Length) + 5];
        cipher.Seal(ObjectType.Tree, s_id, plaintext, a);
        var b = cipher.Seal(ObjectType.Tree, s_id, plaintext);
        Assert.NotEqual(a.AsSpan(0, 12).ToArray(), b.AsSpan(0, 12).ToArray());

        // Independent reader: nonce || ciphertext || tag, associated data = type byte || id.
        var associated = new byte[33];
        associated[0] = (byte)ObjectType.Tree;
        s_id.WriteTo(associated.AsSpan(1));
        using var aes = new AesGcm(s_key.EncryptionKey, 16);
        var decrypted = new byte[plaintext.Length];
        aes.Decrypt(b.AsSpan(0, 12), b.AsSpan(12, plaintext.Length), b.AsSpan(12 + plaintext.Length), decrypted, associated);
        Assert.Equal(plaintext, decrypted);
    }

    [Fact]
    public void Tampering_with_any_byte_fails_authentication()
    {
        var cipher = new ObjectCipher(s_key);
        var sealedBytes = cipher.Seal(ObjectType.Data, s_id, TestData.Random(100, 7));
        var plaintext = new byte[100];
        for (int i = 0; i < sealedBytes.Length; i++)
        {
            var tampered = (byte[])sealedBytes.Clone();
            tampered[i] ^= 0x01;
            Assert.False(cipher.TryOpen(ObjectType.Data, s_id, tampered, plaintext), $"byte {i}");
        }
        var error = Assert.Throws<IntegrityException>(() => cipher.Open(ObjectType.Data, s_id, sealedBytes[..^1], "blob 1234"));
        Assert.Equal("blob 1234", error.ObjectDescription);
        Assert.Equal(ExitCode.Integrity, error.ExitCode);
    }

    [Fact]
    public void Wrong_type_id_key_or_short_input_fails()
    {
        var cipher = new ObjectCipher(s_key);
        var sealedBytes = cipher.Seal(ObjectType.Data, s_id, TestData.Random(64, 8));
        var plaintext = new byte[64];
        Assert.False(cipher.TryOpen(ObjectType.Tree, s_id, sealedBytes, plaintext));
        Assert.False(cipher.TryOpen(ObjectType.Data, new ObjectId(TestData.Sequence(32, 101)), sealedBytes, plaintext));
        Assert.False(new ObjectCipher(MasterKey.Generate()).TryOpen(ObjectType.Data, s_id, sealedBytes, plaintext));
        Assert.False(cipher.TryOpen(ObjectType.Data, s_id, sealedBytes.AsSpan(0, ObjectCipher.Overhead - 1), plaintext));
        Assert.Throws<IntegrityException>(() => cipher.Open(ObjectType.Data, s_id, new byte[3], "blob x"));
        Assert.Throws<IntegrityException>(() => cipher.Open(ObjectType.Snapshot, s_id, sealedBytes, "blob x"));
    }

    [Fact]
    public void Cipher_is_safe_to_share_between_threads()
    {
        var cipher = new ObjectCipher(s_key);
        Parallel.For(0, 200, i =>
        {
            var plaintext = TestData.Random(1000 + i, (ulong)i + 1);
            var sealedBytes = cipher.Seal(ObjectType.Data, s_id, plaintext);
            Assert.Equal(plaintext, cipher.Open(ObjectType.Data, s_id, sealedBytes, "t"));
        });
    }

    [Fact]
    public void Object_ids_are_hmac_sha256_with_the_id_key()
    {
        var hasher = new ObjectIdHasher(s_key);
        var data = TestData.Random(5000, 3);
        Assert.Equal(new ObjectId(HMACSHA256.HashData(s_key.IdKey, data)), hasher.Compute(data));
        Assert.Equal(hasher.Compute(data), new ObjectIdHasher(s_key.IdKey).Compute(data));
        Assert.NotEqual(hasher.Compute(data), new ObjectIdHasher(MasterKey.Generate()).Compute(data));
        Assert.NotEqual(new ObjectId(SHA256.HashData(data)), hasher.Compute(data));
    }

    [Fact]
    public void Object_ids_are_the_same_from_any_thread()
    {
        var hasher = new ObjectIdHasher(s_key);
        var inputs = Enumerable.Range(0, 64).Select(i => TestData.Random(i * 997, (ulong)i + 1)).ToArray();
        var expected = inputs.Select(input => new ObjectId(HMACSHA256.HashData(s_key.IdKey, input))).ToArray();
        Parallel.For(0, 512, i => Assert.Equal(expected[i % 64], hasher.Compute(inputs[i % 64])));
    }
}
