using System.Runtime.CompilerServices;

// Unit tests reach the internal pieces of components (stream decoders, dump splitters, command builders, export
// formats, the bucket component's credential overlay) directly.
[assembly: InternalsVisibleTo("Cairn.Tests")]
