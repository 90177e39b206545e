using System.Runtime.CompilerServices;

// Unit tests reach the internal pieces of check and repair (file salvage, tree folds) directly.
[assembly: InternalsVisibleTo("Cairn.Tests")]
