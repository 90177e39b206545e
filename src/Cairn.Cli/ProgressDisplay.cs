using Spectre.Console;

namespace Cairn.Cli;

/// <summary>A live progress line on stderr while a task runs; only on a terminal, never with --json or --quiet.</summary>
internal static class ProgressDisplay
{
    /// <summary>Waits for <paramref name="work"/>, redrawing <paramref name="describe"/> and, if given, a bar of done/total.</summary>
    public static async Task<T> RunAsync<T>(Session session, Task<T> work, Func<string> describe, Func<(long Done, long Total)>? fraction = null)
    {
        if (!session.ShowProgress) return await work.ConfigureAwait(false);
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(session.Env.Error) });
        await console.Progress()
            .AutoClear(true)
            .Columns(fraction is null
                ? [new SpinnerColumn(), new TaskDescriptionColumn { Alignment = Justify.Left }]
                : [new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn()])
            .StartAsync(async ctx =>
            {
                var task = ctx.AddTask(Markup.Escape(describe()), maxValue: 1);
                task.IsIndeterminate = fraction is null;
                while (!work.IsCompleted)
                {
                    await Task.WhenAny(work, Task.Delay(200)).ConfigureAwait(false);
                    task.Description = Markup.Escape(describe());
                    if (fraction is not null)
                    {
                        var (done, total) = fraction();
                        task.MaxValue = Math.Max(1, total);
                        task.Value = Math.Min(done, task.MaxValue);
                    }
                }
                task.StopTask();
            }).ConfigureAwait(false);
        return await work.ConfigureAwait(false);
    }
}
