namespace Cairn.Cli;

/// <summary>How to start this cairn again from elsewhere (a systemd unit): its executable, or dotnet and its dll.</summary>
internal static class CairnProgram
{
    public static IReadOnlyList<string> Command()
    {
        var process = Environment.ProcessPath ?? throw new CairnException("cannot tell which program is running: give --executable PATH", ExitCode.Usage);
        // Run as "dotnet cairn.dll" (as ./cairn in a checkout does): the units must do the same.
        return Path.GetFileNameWithoutExtension(process) == "dotnet" ? [process, typeof(CairnProgram).Assembly.Location] : [process];
    }
}
