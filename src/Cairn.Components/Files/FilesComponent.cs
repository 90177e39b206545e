using Cairn.Components.Tools;

namespace Cairn.Components.Files;

/// <summary>
/// The <c>files</c> component: file trees backed up as <c>cairn backup</c> does (metadata, hardlinks, sparse files,
/// the file cache), each under its absolute path in the component's directory, between optional pre and post hooks.
/// </summary>
public sealed class FilesComponent(string name, FilesOptions options) : IComponent
{
    /// <inheritdoc/>
    public async Task BackupAsync(IComponentBackup backup, CancellationToken cancellationToken)
    {
        backup.Manifest.Tool = "cairn " + ProgramInfo.Version;
        backup.Manifest.Format = "tree";
        backup.Manifest.Items.AddRange(options.Paths);
        if (options.Excludes.Count > 0) backup.Manifest.Details["excludes"] = string.Join('\n', options.Excludes);
        try
        {
            if (options.PreHook.Count > 0)
            {
                await RunHookAsync("pre_hook", options.PreHook, backup, cancellationToken).ConfigureAwait(false);
                backup.Info("pre_hook done");
            }
            await backup.AddPathsAsync(options.Paths, options.Excludes, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            // The post hook undoes what the pre hook did (resumes the application), so it runs even after a failure.
            if (options.PostHook.Count > 0) await RunPostHookAsync(backup, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc/>
    /// <remarks>Restores to the original paths, or below <see cref="ComponentRestoreRequest.Target"/>; <see cref="ComponentRestoreRequest.Key"/>
    /// limits it to paths matching that pattern (as <c>cairn restore --include</c>).</remarks>
    public Task RestoreAsync(IComponentRestore source, ComponentRestoreRequest request, CancellationToken cancellationToken)
    {
        if (request.Database is not null || request.Schema is not null || request.Table is not null || request.NewName is not null)
            throw new CairnException($"component '{name}' holds files: --database, --schema, --table and --as do not apply (use --key PATTERN and --to DIR)", ExitCode.Usage);
        return source.RestorePathsAsync(request.Target, request.Key is { } key ? [key] : [], cancellationToken);
    }

    private async Task RunPostHookAsync(IComponentBackup backup, CancellationToken cancellationToken)
    {
        try
        {
            await RunHookAsync("post_hook", options.PostHook, backup, cancellationToken).ConfigureAwait(false);
            backup.Info("post_hook done");
        }
        catch (ComponentFailedException e)
        {
            // The files are stored by now; a failed post hook needs attention but does not make them a bad backup.
            backup.Warn("post_hook", e.Message);
        }
    }

    private async Task RunHookAsync(string role, IReadOnlyList<string> argv, IComponentBackup backup, CancellationToken cancellationToken)
    {
        var command = UserCommand.Create(argv, role, stderrErrorsFail: false);
        await UserCommand.WithTimeoutAsync(role, options.HookTimeout, async ct =>
        {
            var output = await ToolRunner.RunCapturingAsync(command, ct).ConfigureAwait(false);
            foreach (var line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                backup.Info($"{role}: {line}");
        }, cancellationToken).ConfigureAwait(false);
    }
}
