using System.Runtime.CompilerServices;

// Tests check internal helpers directly: the bucket component's credential overlay, for instance.
[assembly: InternalsVisibleTo("Cairn.Tests")]
