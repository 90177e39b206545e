using System.Collections.Concurrent;
using Cairn.Content;

namespace Cairn.Archiving.Restore;

/// <summary>
/// One read buffer and one plaintext buffer per restore worker, sized for the largest read and chunk (see
/// <see cref="ScratchArrays"/>) and kept for the whole restore. A shared array pool rounds every request up to a
/// power of two and keeps arrays of every size it was asked for, which made buffers the largest cost of a restore
/// after its plan.
/// </summary>
internal sealed class RestoreBuffers(int typicalRange, int typicalPlain) : IDisposable
{
    private readonly ConcurrentBag<Scratch> _idle = [];

    public Scratch Rent() => _idle.TryTake(out var scratch) ? scratch : new Scratch(typicalRange, typicalPlain);

    public void Return(Scratch scratch) => _idle.Add(scratch);

    public void Dispose() => _idle.Clear();

    /// <summary>A worker's buffers; not thread-safe.</summary>
    internal sealed class Scratch(int typicalRange, int typicalPlain)
    {
        private byte[] _range = [];
        private byte[] _plain = [];

        public Memory<byte> Range(int length) => ScratchArrays.Ensure(ref _range, length, typicalRange).AsMemory(0, length);

        public Memory<byte> Plain(int length) => ScratchArrays.Ensure(ref _plain, length, typicalPlain).AsMemory(0, length);
    }
}
