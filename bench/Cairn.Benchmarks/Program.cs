using BenchmarkDotNet.Running;
using Cairn.Benchmarks;

// `-- levels [dump-directory]` prints the zstd level comparison for docs/PERFORMANCE.md; anything else goes to BenchmarkDotNet.
if (args is ["levels", ..])
{
    CompressionLevels.Run(args.Length > 1 ? args[1] : null);
    return;
}
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
