using System.Buffers;
using System.Text;
using Cairn.Content;

namespace Cairn.Snapshots.Trees;

/// <summary>
/// The binary encoding of trees (see docs/FORMAT.md, "Trees"): compact, exact for non-UTF-8 names, and
/// deterministic, so an unchanged directory always encodes to the same bytes and therefore the same id.
/// </summary>
public static class TreeCodec
{
    /// <summary>Version byte at the start of every tree.</summary>
    public const byte Version = 1;

    /// <summary>Encodes a tree.</summary>
    public static byte[] Encode(Tree tree)
    {
        var w = new ArrayBufferWriter<byte>(64 + tree.Nodes.Count * 128);
        w.GetSpan(1)[0] = Version;
        w.Advance(1);
        WriteVarint(w, (ulong)tree.Nodes.Count);
        foreach (var n in tree.Nodes) WriteNode(w, n);
        return w.WrittenSpan.ToArray();
    }

    private static void WriteNode(ArrayBufferWriter<byte> w, Node n)
    {
        WriteBytes(w, n.Name);
        WriteVarint(w, (ulong)n.Kind);
        WriteVarint(w, (ulong)n.Flags);
        WriteVarint(w, n.Mode);
        WriteVarint(w, n.Uid);
        WriteVarint(w, n.Gid);
        WriteBytes(w, n.User is null ? [] : Encoding.UTF8.GetBytes(n.User));
        WriteBytes(w, n.Group is null ? [] : Encoding.UTF8.GetBytes(n.Group));
        WriteVarint(w, ZigZag(n.ModifyTimeNs));
        WriteVarint(w, ZigZag(n.ChangeTimeNs));
        WriteVarint(w, n.Inode);
        WriteVarint(w, n.Device);
        WriteVarint(w, n.LinkCount);
        WriteVarint(w, (ulong)n.Size);
        switch (n.Kind)
        {
            case NodeKind.File:
                var content = n.Content ?? [];
                WriteVarint(w, (ulong)content.Count);
                foreach (var id in content)
                {
                    id.WriteTo(w.GetSpan(ObjectId.Length));
                    w.Advance(ObjectId.Length);
                }
                var extents = n.Extents;
                WriteVarint(w, extents is null ? 0 : (ulong)extents.Count + 1);
                if (extents is not null)
                    foreach (var e in extents)
                    {
                        WriteVarint(w, (ulong)e.Offset);
                        WriteVarint(w, (ulong)e.Length);
                    }
                break;
            case NodeKind.Directory:
                n.Subtree.WriteTo(w.GetSpan(ObjectId.Length));
                w.Advance(ObjectId.Length);
                break;
            case NodeKind.Symlink:
                WriteBytes(w, n.LinkTarget ?? []);
                break;
            case NodeKind.CharDevice:
            case NodeKind.BlockDevice:
                WriteVarint(w, n.RDev);
                break;
        }
        var xattrs = n.ExtendedAttributes;
        WriteVarint(w, xattrs is null ? 0UL : (ulong)xattrs.Count);
        if (xattrs is not null)
            foreach (var (name, value) in xattrs)
            {
                WriteBytes(w, name);
                WriteBytes(w, value);
            }
    }

    /// <summary>Decodes a tree; malformed input raises <see cref="IntegrityException"/> naming <paramref name="description"/>.</summary>
    public static Tree Decode(ReadOnlySpan<byte> data, string description)
    {
        var r = new Reader(data, description);
        if (r.Byte() != Version) throw new IntegrityException(description, $"unknown tree version {data[0]}");
        ulong count = r.Varint();
        if (count > (ulong)data.Length) throw new IntegrityException(description, "entry count exceeds the tree's size");
        var nodes = new List<Node>((int)count);
        for (ulong i = 0; i < count; i++) nodes.Add(ReadNode(ref r));
        if (!r.AtEnd) throw new IntegrityException(description, "trailing bytes after the last entry");
        return new Tree(nodes);
    }

    private static Node ReadNode(ref Reader r)
    {
        var name = r.Bytes();
        var kind = (NodeKind)r.Varint();
        if (kind is < NodeKind.File or > NodeKind.Socket) throw r.Damaged($"unknown entry kind {(int)kind}");
        var node = new Node
        {
            Name = name,
            Kind = kind,
            Flags = (NodeFlags)r.Varint(),
            Mode = (uint)r.Varint(),
            Uid = (uint)r.Varint(),
            Gid = (uint)r.Varint(),
            User = NullIfEmpty(r.Bytes()),
            Group = NullIfEmpty(r.Bytes()),
            ModifyTimeNs = UnZigZag(r.Varint()),
            ChangeTimeNs = UnZigZag(r.Varint()),
            Inode = r.Varint(),
            Device = r.Varint(),
            LinkCount = r.Varint(),
            Size = (long)r.Varint(),
        };
        switch (kind)
        {
            case NodeKind.File:
                ulong chunks = r.Varint();
                if (chunks > int.MaxValue / ObjectId.Length) throw r.Damaged("chunk count out of range");
                var content = new List<ObjectId>((int)chunks);
                for (ulong i = 0; i < chunks; i++) content.Add(r.Id());
                node.Content = content;
                ulong extents = r.Varint();
                if (extents > 0)
                {
                    var list = new List<Extent>();
                    for (ulong i = 0; i < extents - 1; i++) list.Add(new Extent((long)r.Varint(), (long)r.Varint()));
                    node.Extents = list;
                }
                break;
            case NodeKind.Directory:
                node.Subtree = r.Id();
                break;
            case NodeKind.Symlink:
                node.LinkTarget = r.Bytes();
                break;
            case NodeKind.CharDevice:
            case NodeKind.BlockDevice:
                node.RDev = r.Varint();
                break;
        }
        ulong xattrs = r.Varint();
        if (xattrs > 0)
        {
            var list = new List<KeyValuePair<byte[], byte[]>>();
            for (ulong i = 0; i < xattrs; i++) list.Add(new(r.Bytes(), r.Bytes()));
            node.ExtendedAttributes = list;
        }
        return node;
    }

    private static string? NullIfEmpty(byte[] bytes) => bytes.Length == 0 ? null : Encoding.UTF8.GetString(bytes);

    private static ulong ZigZag(long v) => (ulong)((v << 1) ^ (v >> 63));

    private static long UnZigZag(ulong v) => (long)(v >> 1) ^ -(long)(v & 1);

    private static void WriteBytes(ArrayBufferWriter<byte> w, ReadOnlySpan<byte> bytes)
    {
        WriteVarint(w, (ulong)bytes.Length);
        bytes.CopyTo(w.GetSpan(bytes.Length));
        w.Advance(bytes.Length);
    }

    // LEB128: 7 bits per byte, high bit set on every byte but the last.
    private static void WriteVarint(ArrayBufferWriter<byte> w, ulong value)
    {
        var span = w.GetSpan(10);
        int i = 0;
        while (value >= 0x80)
        {
            span[i++] = (byte)(value | 0x80);
            value >>= 7;
        }
        span[i++] = (byte)value;
        w.Advance(i);
    }

    private ref struct Reader(ReadOnlySpan<byte> data, string description)
    {
        private readonly ReadOnlySpan<byte> _data = data;
        private int _pos;

        public readonly bool AtEnd => _pos == _data.Length;

        public readonly IntegrityException Damaged(string problem) => new(description, problem + $" at byte {_pos}");

        public byte Byte()
        {
            if (_pos >= _data.Length) throw Damaged("truncated");
            return _data[_pos++];
        }

        public ulong Varint()
        {
            ulong value = 0;
            for (int shift = 0; shift < 64; shift += 7)
            {
                byte b = Byte();
                value |= (ulong)(b & 0x7f) << shift;
                if (b < 0x80) return value;
            }
            throw Damaged("varint too long");
        }

        public byte[] Bytes()
        {
            ulong length = Varint();
            if (length > (ulong)(_data.Length - _pos)) throw Damaged("length runs past the end");
            var bytes = _data.Slice(_pos, (int)length).ToArray();
            _pos += (int)length;
            return bytes;
        }

        public ObjectId Id()
        {
            if (_data.Length - _pos < ObjectId.Length) throw Damaged("truncated id");
            var id = new ObjectId(_data.Slice(_pos, ObjectId.Length));
            _pos += ObjectId.Length;
            return id;
        }
    }
}
