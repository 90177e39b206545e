namespace Cairn.Tests.Components;

/// <summary>Reads the CAIRN_TEST_* variables a tests/servers/NAME.sh script exports; a missing one fails the test (never skips it).</summary>
internal static class TestServerVariables
{
    public static string Get(string name, string script) =>
        Environment.GetEnvironmentVariable(name) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException($"{name} is not set: start the test server first (source tests/servers/{script}), as test.sh does");
}
