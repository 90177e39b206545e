using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Cairn.Storage.Sftp;

/// <summary>What the known_hosts files say about the key a server presented.</summary>
public enum HostKeyStatus
{
    /// <summary>A line for this host lists exactly this key.</summary>
    Trusted,
    /// <summary>No line for this host lists a key of this type.</summary>
    Unknown,
    /// <summary>A line for this host lists a different key of the same type: reinstalled server, or an attack.</summary>
    Changed,
    /// <summary>An @revoked line lists this key.</summary>
    Revoked,
}

/// <summary>The verdict on one presented host key, with what a message needs to explain it.</summary>
/// <param name="Status">Trusted, unknown, changed or revoked.</param>
/// <param name="KeyType">The key's type as known_hosts writes it, e.g. "ssh-ed25519".</param>
/// <param name="Fingerprint">OpenSSH's fingerprint of the presented key, "SHA256:…".</param>
/// <param name="Source">For <see cref="HostKeyStatus.Changed"/> and <see cref="HostKeyStatus.Revoked"/>: "file:line" of the entry.</param>
/// <param name="OtherKnownTypes">For <see cref="HostKeyStatus.Unknown"/>: key types that are known for this host.</param>
public sealed record HostKeyVerdict(HostKeyStatus Status, string KeyType, string Fingerprint, string? Source, IReadOnlyList<string> OtherKnownTypes);

/// <summary>
/// OpenSSH known_hosts files: plain and hashed (<c>|1|salt|hash</c>) host names, <c>[host]:port</c> entries, '*' and '?'
/// wildcards, '!' negation, and the @revoked marker (@cert-authority lines are ignored: no certificates are accepted).
/// </summary>
public sealed class KnownHosts
{
    private readonly List<Entry> _entries;

    private KnownHosts(List<Entry> entries) => _entries = entries;

    /// <summary>Reads <paramref name="files"/> in order; files that do not exist are skipped, malformed lines ignored (as ssh does).</summary>
    public static KnownHosts Load(IEnumerable<string> files)
    {
        ArgumentNullException.ThrowIfNull(files);
        var entries = new List<Entry>();
        foreach (var file in files)
        {
            string[] lines;
            try
            {
                lines = File.ReadAllLines(file);
            }
            catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
            {
                continue;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new StorageException($"cannot read the known_hosts file {file}: {e.Message}", isTransient: false, e, ExitCode.StorageAccessDenied);
            }

            for (var i = 0; i < lines.Length; i++)
            {
                if (Entry.TryParse(lines[i], $"{file}:{i + 1}") is { } entry) entries.Add(entry);
            }
        }

        return new KnownHosts(entries);
    }

    /// <summary>Key types (e.g. "ssh-ed25519", "ssh-rsa") that some entry lists for the host, in file order.</summary>
    public IReadOnlyList<string> KnownKeyTypes(string knownHostsName) =>
        [.. _entries.Where(e => !e.Revoked && e.Matches(knownHostsName)).Select(e => e.KeyType).Distinct(StringComparer.Ordinal)];

    /// <summary>Judges the key blob <paramref name="hostKey"/> (SSH wire format) that the host presented.</summary>
    public HostKeyVerdict Check(string knownHostsName, byte[] hostKey)
    {
        ArgumentNullException.ThrowIfNull(hostKey);
        var keyType = KeyTypeOf(hostKey);
        var fingerprint = Fingerprint(hostKey);
        if (_entries.FirstOrDefault(e => e.Revoked && e.Key.AsSpan().SequenceEqual(hostKey)) is { } revoked)
            return new HostKeyVerdict(HostKeyStatus.Revoked, keyType, fingerprint, revoked.Source, []);

        var matching = _entries.Where(e => !e.Revoked && e.Matches(knownHostsName)).ToList();
        if (matching.Any(e => e.Key.AsSpan().SequenceEqual(hostKey)))
            return new HostKeyVerdict(HostKeyStatus.Trusted, keyType, fingerprint, null, []);
        if (matching.FirstOrDefault(e => e.KeyType == keyType) is { } changed)
            return new HostKeyVerdict(HostKeyStatus.Changed, keyType, fingerprint, changed.Source, []);
        return new HostKeyVerdict(HostKeyStatus.Unknown, keyType, fingerprint, null, [.. matching.Select(e => e.KeyType).Distinct(StringComparer.Ordinal)]);
    }

    /// <summary>OpenSSH's fingerprint of a key blob: "SHA256:" and the unpadded base64 of its SHA-256.</summary>
    public static string Fingerprint(byte[] keyBlob) => "SHA256:" + Convert.ToBase64String(SHA256.HashData(keyBlob)).TrimEnd('=');

    /// <summary>The type name a key blob starts with ("ssh-ed25519", "ssh-rsa", "ecdsa-sha2-nistp256", …).</summary>
    public static string KeyTypeOf(ReadOnlySpan<byte> keyBlob)
    {
        if (keyBlob.Length < 4) return "unknown";
        var length = BinaryPrimitives.ReadUInt32BigEndian(keyBlob);
        return length <= (uint)(keyBlob.Length - 4) ? Encoding.ASCII.GetString(keyBlob.Slice(4, (int)length)) : "unknown";
    }

    // One line: [marker] patterns keytype base64-key [comment].
    private sealed record Entry(bool Revoked, string[] Patterns, byte[]? HashSalt, byte[]? Hash, string KeyType, byte[] Key, string Source)
    {
        public static Entry? TryParse(string line, string source)
        {
            var fields = line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length == 0 || fields[0].StartsWith('#')) return null;
            var revoked = false;
            if (fields[0].StartsWith('@'))
            {
                // @cert-authority trusts certificates signed by a CA; SSH.NET's host key event sees plain keys only.
                if (fields[0] != "@revoked") return null;
                revoked = true;
                fields = fields[1..];
            }

            if (fields.Length < 3) return null;
            byte[] key;
            try
            {
                key = Convert.FromBase64String(fields[2]);
            }
            catch (FormatException)
            {
                return null;
            }

            var keyType = KeyTypeOf(key);
            if (keyType != fields[1]) return null; // a line whose stated type disagrees with its key is corrupt
            if (fields[0].StartsWith("|1|", StringComparison.Ordinal))
            {
                var parts = fields[0].Split('|');
                try
                {
                    return parts.Length == 4
                        ? new Entry(revoked, [], Convert.FromBase64String(parts[2]), Convert.FromBase64String(parts[3]), keyType, key, source)
                        : null;
                }
                catch (FormatException)
                {
                    return null;
                }
            }

            return new Entry(revoked, fields[0].Split(','), null, null, keyType, key, source);
        }

        public bool Matches(string name)
        {
            if (HashSalt is not null)
            {
                // ssh-keygen -H: HMAC-SHA1 keyed with the salt over the name as it would be written in plain.
                var hash = HMACSHA1.HashData(HashSalt, Encoding.UTF8.GetBytes(name));
                return CryptographicOperations.FixedTimeEquals(hash, Hash);
            }

            var matched = false;
            foreach (var pattern in Patterns)
            {
                var negated = pattern.StartsWith('!');
                if (!Wildcard(negated ? pattern[1..] : pattern, name)) continue;
                if (negated) return false;
                matched = true;
            }

            return matched;
        }

        // OpenSSH's match_pattern: '*' any run, '?' one character, case-insensitive (host names are).
        private static bool Wildcard(string pattern, string text)
        {
            int p = 0, t = 0, star = -1, resume = 0;
            while (t < text.Length)
            {
                if (p < pattern.Length && (pattern[p] == '?' || char.ToLowerInvariant(pattern[p]) == char.ToLowerInvariant(text[t])))
                {
                    p++;
                    t++;
                }
                else if (p < pattern.Length && pattern[p] == '*')
                {
                    star = p++;
                    resume = t;
                }
                else if (star >= 0)
                {
                    p = star + 1;
                    t = ++resume;
                }
                else
                {
                    return false;
                }
            }

            while (p < pattern.Length && pattern[p] == '*') p++;
            return p == pattern.Length;
        }
    }
}
