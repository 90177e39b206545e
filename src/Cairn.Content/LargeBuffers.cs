using System.Buffers;

namespace Cairn.Content;

/// <summary>
/// The pool for chunk-sized scratch buffers (up to tens of MiB). Unlike <see cref="ArrayPool{T}.Shared"/>, which
/// caches arrays per thread and per core, it keeps a small, shared, bounded set, so memory stays proportional to the
/// number of workers rather than to the number of thread-pool threads that ever touched a large buffer.
/// </summary>
public static class LargeBuffers
{
    /// <summary>The shared pool.</summary>
    public static ArrayPool<byte> Pool { get; } = ArrayPool<byte>.Create(maxArrayLength: 64 * 1024 * 1024, maxArraysPerBucket: Environment.ProcessorCount * 2);
}
