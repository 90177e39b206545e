using System.Collections.Concurrent;

namespace Cairn.Archiving.Restore;

/// <summary>
/// One read buffer and one plaintext buffer per restore worker, grown to the largest range or chunk it meets and kept
/// for the whole restore. A shared array pool rounds every request up to a power of two and keeps arrays of every
/// size it was asked for, which made buffers the largest cost of a restore after its plan.
/// </summary>
internal sealed class RestoreBuffers : IDisposable
{
    private readonly ConcurrentBag<Scratch> _idle = [];

    public Scratch Rent() => _idle.TryTake(out var scratch) ? scratch : new Scratch();

    public void Return(Scratch scratch) => _idle.Add(scratch);

    public void Dispose() => _idle.Clear();

    /// <summary>A worker's buffers; not thread-safe.</summary>
    internal sealed class Scratch
    {
        // Growth in 256 KiB steps: a few reallocations early on, then none.
        private const int Step = 256 * 1024;
        private byte[] _range = [];
        private byte[] _plain = [];

        public Memory<byte> Range(int length) => Grow(ref _range, length).AsMemory(0, length);

        public Memory<byte> Plain(int length) => Grow(ref _plain, length).AsMemory(0, length);

        private static byte[] Grow(ref byte[] buffer, int length)
        {
            if (buffer.Length < length) buffer = GC.AllocateUninitializedArray<byte>((length + Step - 1) / Step * Step);
            return buffer;
        }
    }
}
