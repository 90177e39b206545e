using System.Runtime.CompilerServices;

// Unit tests reach the internal pieces of components (stream decoders, command builders) directly.
[assembly: InternalsVisibleTo("Cairn.Tests")]
