using Cairn.Components.Tools;

namespace Cairn.Components.Command;

/// <summary>
/// The <c>command</c> component, the escape hatch for anything without its own type: a command's standard output is
/// stored as one file (e.g. <c>kubectl get all -A -o yaml</c>), and an optional restore command reads it back on stdin.
/// </summary>
public sealed class CommandComponent(string name, CommandOptions options) : IComponent
{
    /// <inheritdoc/>
    public async Task BackupAsync(IComponentBackup backup, CancellationToken cancellationToken)
    {
        var command = UserCommand.Create(options.Command, "command", options.FailOnStderrError);
        // The program only: arguments may hold tokens, and a manifest never holds secrets.
        backup.Manifest.Tool = command.Program;
        backup.Manifest.Format = "standard output";
        backup.Manifest.Items.Add(options.FileName);
        await UserCommand.WithTimeoutAsync("command", options.Timeout, ct => ToolRunner.RunReadingAsync(command, async (stdout, token) =>
        {
            var stored = await backup.AddStreamAsync(options.FileName, stdout, token).ConfigureAwait(false);
            backup.Info($"stored {stored.Size} bytes as {stored.Path}");
        }, ct), cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async Task RestoreAsync(IComponentRestore source, ComponentRestoreRequest request, CancellationToken cancellationToken)
    {
        if (request.Database is not null || request.Schema is not null || request.Table is not null || request.Key is not null
            || request.Target is not null || request.NewName is not null)
            throw new CairnException($"component '{name}' stores a command's output: only its restore_command can restore it, without --database/--schema/--table/--key/--to/--as", ExitCode.Usage);
        if (options.RestoreCommand.Count == 0)
            throw new CairnException($"component '{name}' has no restore_command: write its output out with 'cairn restore SNAPSHOT --component {name} --to-file DIR'", ExitCode.Usage);
        var command = UserCommand.Create(options.RestoreCommand, "restore_command", options.FailOnStderrError);
        var fileName = source.Recorded.Items is [var recorded, ..] ? recorded : options.FileName;
        await UserCommand.WithTimeoutAsync("restore_command", options.Timeout, ct => ToolRunner.RunWritingAsync(command, async (stdin, token) =>
        {
            await using var stored = source.Open(fileName);
            await stored.CopyToAsync(stdin, token).ConfigureAwait(false);
        }, ct, source.Info), cancellationToken).ConfigureAwait(false);
        source.Info($"fed {fileName} to {command.Program}");
    }
}
