using System.Diagnostics;
using System.Text.Json;
using Cairn.Tests.Cli;

namespace Cairn.Tests.Deploy;

/// <summary>
/// The repository's Dockerfile. No Docker engine runs here, so the image is never built: the test checks the file's
/// structure and runs its restore and publish commands locally, then the published cairn.
/// </summary>
public sealed class DockerfileTests : IDisposable
{
    private readonly string _root = RepositoryRoot();
    private readonly string _output = Path.Combine(Path.GetTempPath(), "cairn-publish-" + Guid.NewGuid().ToString("N")[..12]);

    public void Dispose()
    {
        if (Directory.Exists(_output)) Directory.Delete(_output, recursive: true);
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Dockerfile")) && File.Exists(Path.Combine(dir.FullName, "Directory.Packages.props"))) return dir.FullName;
        throw new InvalidOperationException("no Dockerfile above " + AppContext.BaseDirectory);
    }

    // Instructions with their continuation lines joined and comments dropped.
    private List<(string Instruction, string Arguments)> Instructions()
    {
        var joined = File.ReadAllText(Path.Combine(_root, "Dockerfile")).Replace("\\\n", " ", StringComparison.Ordinal);
        return [.. joined.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#'))
            .Select(l => l.Split(' ', 2)).Select(p => (p[0].ToUpperInvariant(), p.Length > 1 ? p[1].Trim() : ""))];
    }

    [Fact]
    public void The_Dockerfile_builds_with_the_SDK_and_runs_as_a_non_root_user_on_a_runtime_image()
    {
        var instructions = Instructions();
        var stages = instructions.Select((x, i) => (x, i)).Where(p => p.x.Instruction == "FROM").ToList();
        Assert.Equal(2, stages.Count);
        Assert.Matches(@"^mcr\.microsoft\.com/dotnet/sdk:10\.0 AS build$", stages[0].x.Arguments);
        Assert.Matches(@"^mcr\.microsoft\.com/dotnet/(runtime|runtime-deps):10\.0 AS \w+$", stages[1].x.Arguments);
        var final = instructions.Skip(stages[1].i).ToList();

        var user = Assert.Single(final, x => x.Instruction == "USER").Arguments;
        Assert.DoesNotMatch(@"^(root|0)(:|$)", user);
        Assert.Contains(final, x => x.Instruction == "RUN" && x.Arguments.Contains("useradd --uid 10001", StringComparison.Ordinal));
        Assert.Equal(Cairn.Orchestration.Deploy.KubernetesCronJobs.ImageUser.ToString(System.Globalization.CultureInfo.InvariantCulture), user.Split(':')[0]);

        // ENTRYPOINT in exec form, naming the published program that the final stage copies from the build stage.
        var entrypoint = JsonSerializer.Deserialize<string[]>(Assert.Single(final, x => x.Instruction == "ENTRYPOINT").Arguments)!;
        var copy = Assert.Single(final, x => x.Instruction == "COPY").Arguments.Split(' ');
        Assert.Equal(["--from=build", "/app"], copy[..2]);
        Assert.Equal(copy[2] + "/cairn", entrypoint[0]);
        Assert.True(Instructions().IndexOf(final.Single(x => x.Instruction == "USER")) > Instructions().IndexOf(final.Single(x => x.Instruction == "COPY")));

        // The dump tools are optional, by build argument, from Debian's packages.
        Assert.Contains(final, x => x.Instruction == "ARG" && x.Arguments.StartsWith("DUMP_TOOLS=", StringComparison.Ordinal));
        Assert.Contains(final, x => x.Instruction == "RUN" && x.Arguments.Contains("apt-get install -y --no-install-recommends $DUMP_TOOLS", StringComparison.Ordinal));
        // What the build stage copies exists, and bin/obj stay out of the context.
        foreach (var source in instructions.Take(stages[1].i).Where(x => x.Instruction == "COPY").SelectMany(x => x.Arguments.Split(' ')[..^1]))
            Assert.True(File.Exists(Path.Combine(_root, source)) || Directory.Exists(Path.Combine(_root, source)), $"COPY {source}: not in the repository");
        Assert.Contains("**/obj/", File.ReadAllText(Path.Combine(_root, ".dockerignore")));
    }

    [Fact]
    public async Task The_Dockerfiles_restore_and_publish_commands_work_here_and_the_published_cairn_runs()
    {
        var instructions = Instructions();
        var build = instructions.TakeWhile((x, i) => i == 0 || x.Instruction != "FROM").Where(x => x.Instruction == "RUN").Select(x => x.Arguments).ToList();
        Assert.Equal(2, build.Count);
        Assert.StartsWith("dotnet restore ", build[0]);
        Assert.StartsWith("dotnet publish ", build[1]);
        Assert.Contains(" -o /app", build[1]);
        // The same commands in the checkout (WORKDIR /src holds what the checkout holds), publishing to a temp dir.
        foreach (var command in build)
            CliHarness.Sh($"cd '{_root}' && {command.Replace(" -o /app", $" -o '{_output}'", StringComparison.Ordinal)} -nologo -v quiet");
        var start = new ProcessStartInfo(Path.Combine(_output, "cairn"), "--version") { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(start)!;
        var version = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.Equal(0, process.ExitCode);
        Assert.Equal("cairn " + ProgramInfo.Version, version.Trim());
    }
}
