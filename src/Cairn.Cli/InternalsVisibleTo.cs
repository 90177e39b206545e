using System.Runtime.CompilerServices;

// In-process CLI tests build their own CliEnvironment (a manual clock, a store double with archive classes).
[assembly: InternalsVisibleTo("Cairn.Tests")]
