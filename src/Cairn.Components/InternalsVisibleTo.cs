using System.Runtime.CompilerServices;

// Unit tests reach the internal pieces of components (dump splitters, stream filters, export formats) directly.
[assembly: InternalsVisibleTo("Cairn.Tests")]
