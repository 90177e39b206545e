using System.Buffers.Binary;
using System.Net.Sockets;
using Renci.SshNet;
using Renci.SshNet.Security;

namespace Cairn.Storage.Sftp;

/// <summary>
/// A client of ssh-agent's protocol (draft-miller-ssh-agent) over its Unix socket: lists the agent's keys and asks it
/// to sign, so a key held by the agent logs in without its private half ever reaching this process. SSH.NET has no
/// agent support and the SshNet.Agent add-on does not restore here, so these few messages are spoken directly.
/// </summary>
internal sealed class SshAgent(string socketPath)
{
    private const byte Failure = 5;
    private const byte RequestIdentities = 11;
    private const byte IdentitiesAnswer = 12;
    private const byte SignRequest = 13;
    private const byte SignResponse = 14;

    // Agents refuse messages over 256 KiB; answers this large mean a broken or hostile peer.
    private const int MaxMessage = 256 * 1024;

    /// <summary>The agent's keys as SSH.NET key sources; empty when the agent cannot be reached (as ssh, which goes on without it).</summary>
    public IReadOnlyList<IPrivateKeySource> LoadKeySources()
    {
        List<IPrivateKeySource> sources = [];
        byte[] answer;
        try
        {
            answer = Call([RequestIdentities]);
        }
        catch (Exception e) when (e is SocketException or IOException or InvalidDataException)
        {
            return sources;
        }

        if (answer.Length == 0 || answer[0] != IdentitiesAnswer) return sources;
        var reader = new WireReader(answer.AsMemory(1));
        var count = reader.ReadUInt32();
        for (var i = 0u; i < count; i++)
        {
            var blob = reader.ReadString().ToArray();
            _ = reader.ReadString(); // the comment, usually the key file's name
            var type = KnownHosts.KeyTypeOf(blob);
            if (type.EndsWith("-cert-v01@openssh.com", StringComparison.Ordinal)) continue; // certificates: not supported
            sources.Add(new AgentKeySource(this, blob, type));
        }

        return sources;
    }

    /// <summary>Asks the agent to sign <paramref name="data"/> with the key <paramref name="keyBlob"/>; returns the signature blob.</summary>
    public byte[] Sign(byte[] keyBlob, byte[] data, uint flags)
    {
        var request = new byte[1 + 4 + keyBlob.Length + 4 + data.Length + 4];
        request[0] = SignRequest;
        var offset = WireWriter.WriteString(request, 1, keyBlob);
        offset = WireWriter.WriteString(request, offset, data);
        BinaryPrimitives.WriteUInt32BigEndian(request.AsSpan(offset), flags);
        var answer = Call(request);
        if (answer.Length == 0 || answer[0] == Failure || answer[0] != SignResponse)
            throw new InvalidOperationException("the ssh-agent refused to sign with the key (is it confirm-only or locked?)");
        return new WireReader(answer.AsMemory(1)).ReadString().ToArray();
    }

    // One request and its answer on a fresh connection: agents serve each connection in order, and signing happens
    // on SSH.NET's threads, so a connection per call needs no locking.
    private byte[] Call(byte[] message)
    {
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.ReceiveTimeout = 30_000;
        socket.SendTimeout = 30_000;
        socket.Connect(new UnixDomainSocketEndPoint(socketPath));
        using var stream = new NetworkStream(socket, ownsSocket: false);
        var header = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(header, (uint)message.Length);
        stream.Write(header);
        stream.Write(message);
        stream.ReadExactly(header);
        var length = BinaryPrimitives.ReadUInt32BigEndian(header);
        if (length > MaxMessage) throw new InvalidDataException($"the ssh-agent answered with {length} bytes");
        var answer = new byte[length];
        stream.ReadExactly(answer);
        return answer;
    }

    /// <summary>One agent key, offered with each signature algorithm its type allows (best first).</summary>
    private sealed class AgentKeySource(SshAgent agent, byte[] keyBlob, string keyType) : IPrivateKeySource
    {
        // Flags of SSH_AGENTC_SIGN_REQUEST choosing RSA's SHA-2 signatures (RFC 8332).
        private const uint RsaSha256 = 2;
        private const uint RsaSha512 = 4;

        public IReadOnlyCollection<HostAlgorithm> HostKeyAlgorithms { get; } = keyType == "ssh-rsa"
            ?
            [
                new AgentHostAlgorithm(agent, "rsa-sha2-512", keyBlob, RsaSha512),
                new AgentHostAlgorithm(agent, "rsa-sha2-256", keyBlob, RsaSha256),
                new AgentHostAlgorithm(agent, "ssh-rsa", keyBlob, 0),
            ]
            : [new AgentHostAlgorithm(agent, keyType, keyBlob, 0)];
    }

    /// <summary>A public-key algorithm whose signatures the agent makes.</summary>
    private sealed class AgentHostAlgorithm(SshAgent agent, string name, byte[] keyBlob, uint flags) : HostAlgorithm(name)
    {
        public override byte[] Data => keyBlob;

        public override byte[] Sign(byte[] data) => agent.Sign(keyBlob, data, flags);

        // Only used to check servers' host keys, never for a client's own key.
        public override bool VerifySignature(byte[] data, byte[] signature) => throw new NotSupportedException();
    }

    /// <summary>Reads SSH wire-format uint32s and length-prefixed strings.</summary>
    private struct WireReader(ReadOnlyMemory<byte> data)
    {
        private ReadOnlyMemory<byte> _rest = data;

        public uint ReadUInt32()
        {
            if (_rest.Length < 4) throw new InvalidDataException("the ssh-agent's answer is truncated");
            var value = BinaryPrimitives.ReadUInt32BigEndian(_rest.Span);
            _rest = _rest[4..];
            return value;
        }

        public ReadOnlyMemory<byte> ReadString()
        {
            var length = ReadUInt32();
            if (length > (uint)_rest.Length) throw new InvalidDataException("the ssh-agent's answer is truncated");
            var value = _rest[..(int)length];
            _rest = _rest[(int)length..];
            return value;
        }
    }

    private static class WireWriter
    {
        public static int WriteString(byte[] buffer, int offset, byte[] value)
        {
            BinaryPrimitives.WriteUInt32BigEndian(buffer.AsSpan(offset), (uint)value.Length);
            value.CopyTo(buffer, offset + 4);
            return offset + 4 + value.Length;
        }
    }

    /// <summary>For messages: the agent as the user knows it.</summary>
    public override string ToString() => $"ssh-agent at {socketPath}";
}
