using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Cairn.Components.Tools;

namespace Cairn.Components.Etcd;

/// <summary>
/// Turns the gateway's streamed answer to Maintenance.Snapshot (one JSON message per line, each with a base64 "blob")
/// into the snapshot's bytes, exactly what <c>etcdctl snapshot save</c> writes: the bbolt database followed by its
/// SHA-256. The hash is checked at the end, so a stream cut short or garbled fails instead of storing a bad snapshot.
/// </summary>
internal sealed class EtcdSnapshotReader
{
    private readonly TextReader _lines;
    private readonly string _source;
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    // The last 32 bytes seen are not hashed yet: they may be the trailer that holds the hash of everything before it.
    private byte[] _held = [];
    private bool _finished;

    /// <summary>Reads messages from <paramref name="lines"/>; <paramref name="source"/> names the member in messages.</summary>
    public EtcdSnapshotReader(TextReader lines, string source)
    {
        _lines = lines;
        _source = source;
    }

    /// <summary>How many bytes were produced so far.</summary>
    public long Length { get; private set; }

    /// <summary>The snapshot as a stream (read it once, to its end).</summary>
    public Stream AsStream() => new PullStream(NextAsync);

    private async ValueTask<ReadOnlyMemory<byte>?> NextAsync(CancellationToken cancellationToken)
    {
        if (_finished) return null;
        string? line;
        try
        {
            line = await _lines.ReadLineAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or HttpRequestException)
        {
            throw new ComponentFailedException($"etcd at {_source}: the snapshot stream broke off after {Length} bytes: {e.Message}", e);
        }
        if (line is null)
        {
            _finished = true;
            Verify();
            return null;
        }
        if (line.Length == 0) return ReadOnlyMemory<byte>.Empty;
        var blob = Decode(line);
        Hold(blob);
        Length += blob.Length;
        return blob;
    }

    private byte[] Decode(string line)
    {
        JsonNode? message;
        try
        {
            message = JsonNode.Parse(line);
        }
        catch (JsonException e)
        {
            throw new ComponentFailedException($"etcd at {_source}: the snapshot stream holds something that is not JSON: {e.Message}", e);
        }
        if (message?["error"] is not null)
            throw new ComponentFailedException($"etcd at {_source}: the snapshot failed: {EtcdGateway.ErrorMessage(line, HttpStatusCode.OK)}");
        var blob = message?["result"]?["blob"];
        if (blob is null) return [];
        try
        {
            return Convert.FromBase64String(blob.GetValue<string>());
        }
        catch (Exception e) when (e is FormatException or InvalidOperationException)
        {
            throw new ComponentFailedException($"etcd at {_source}: the snapshot stream holds a blob that is not base64: {e.Message}", e);
        }
    }

    private void Hold(byte[] blob)
    {
        var size = SHA256.HashSizeInBytes;
        var all = _held.Length == 0 ? blob : [.. _held, .. blob];
        if (all.Length <= size)
        {
            _held = all;
            return;
        }
        _hash.AppendData(all, 0, all.Length - size);
        _held = all[^size..];
    }

    private void Verify()
    {
        if (Length == 0) throw new ComponentFailedException($"etcd at {_source}: the snapshot stream was empty");
        var expected = _hash.GetHashAndReset();
        if (_held.Length != expected.Length || !CryptographicOperations.FixedTimeEquals(expected, _held))
            throw new ComponentFailedException($"etcd at {_source}: the snapshot ({Length} bytes) does not end with its SHA-256: the stream was cut short or damaged");
    }
}
