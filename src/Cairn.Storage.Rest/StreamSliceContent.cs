using System.Net;

namespace Cairn.Storage.Rest;

/// <summary>
/// The body of a put: the caller's seekable stream from <c>start</c> to its end, with its length known up front. Each
/// send seeks back to <c>start</c> (HTTP/2 may resend a refused stream), and the stream stays open: it is the caller's.
/// </summary>
internal sealed class StreamSliceContent(Stream stream, long start) : HttpContent
{
    protected override async Task SerializeToStreamAsync(Stream target, TransportContext? context, CancellationToken cancellationToken)
    {
        stream.Position = start;
        await stream.CopyToAsync(target, 128 * 1024, cancellationToken).ConfigureAwait(false);
    }

    protected override Task SerializeToStreamAsync(Stream target, TransportContext? context) =>
        SerializeToStreamAsync(target, context, CancellationToken.None);

    protected override bool TryComputeLength(out long length)
    {
        length = stream.Length - start;
        return true;
    }
}
