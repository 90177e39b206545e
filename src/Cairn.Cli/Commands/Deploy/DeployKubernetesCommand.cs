using System.CommandLine;
using Cairn.Orchestration.Deploy;

namespace Cairn.Cli.Commands.Deploy;

/// <summary>cairn deploy kubernetes: CronJob manifests for the config's scheduled jobs.</summary>
internal static class DeployKubernetesCommand
{
    public static Command Create(CommandContext context)
    {
        var job = new Option<string?>("--job") { Description = "Only this job (default: every job with a schedule)." };
        var ns = new Option<string?>("--namespace", "-n") { Description = "The namespace of the CronJobs (default: kubectl's current one)." };
        var image = new Option<string>("--image")
        {
            Description = "The container image (built from the repository's Dockerfile).",
            DefaultValueFactory = _ => "cairn:" + ProgramInfo.Version,
        };
        var configSecret = new Option<string>("--config-secret") { Description = "Secret holding the config file under key cairn.yaml.", DefaultValueFactory = _ => "cairn-config" };
        var passwordSecret = new Option<string>("--password-secret") { Description = "Secret whose key 'password' becomes $CAIRN_PASSWORD.", DefaultValueFactory = _ => "cairn-password" };
        var deadline = new Option<string>("--starting-deadline") { Description = "How late a missed start may still run (startingDeadlineSeconds), at least 10s.", DefaultValueFactory = _ => "1h" };
        var backoff = new Option<int>("--backoff-limit") { Description = "Retries of a failed run (backoffLimit).", DefaultValueFactory = _ => 0 };
        var command = new Command("kubernetes",
            "Print a Kubernetes CronJob (batch/v1) for every job with a schedule (or --job), as YAML for kubectl apply -f -.\n" +
            "Each has the job's schedule as standard cron and its time_zone as timeZone (Kubernetes 1.27+),\n" +
            "concurrencyPolicy Forbid (never two runs of a job at once), startingDeadlineSeconds, history limits, restartPolicy\n" +
            "Never with backoffLimit (default 0: a failed backup alerts and waits for its next slot), activeDeadlineSeconds\n" +
            "from max_duration, and terminationGracePeriodSeconds from daemon.grace_period so a stopped run can checkpoint.\n" +
            "The container runs 'cairn --config /etc/cairn/cairn.yaml job run JOB' as uid 10001 with a read-only root file\n" +
            "system; the config comes from the Secret --config-secret (key cairn.yaml) and $CAIRN_PASSWORD from the Secret\n" +
            "--password-secret (key password), which the config uses as password: ${CAIRN_PASSWORD}. No secret is ever\n" +
            "printed. Schedules with seconds (6 fields), L, n#k or nL, or both day fields restricted (Kubernetes would read\n" +
            "them as either day) are refused with exit 2; jitter is left out (CronJobs have none).\n\n" +
            "Examples:\n" +
            "  kubectl -n backup create secret generic cairn-config --from-file=cairn.yaml=/etc/cairn/cairn.yaml\n" +
            "  kubectl -n backup create secret generic cairn-password --from-literal=password=...\n" +
            "  cairn deploy kubernetes --namespace backup --image registry.example.com/cairn:0.1.0 | kubectl apply -f -");
        foreach (var option in new Option[] { job, ns, image, configSecret, passwordSecret, deadline, backoff }) command.Add(option);
        context.SetAction(command, (session, _) =>
        {
            var config = ConfigAccess.Load(session);
            var jobs = ScheduledJobs.Select(config, session.Get(job));
            var startingDeadline = Durations.Parse(session.Get(deadline), "--starting-deadline");
            if (startingDeadline < TimeSpan.FromSeconds(10))
                throw new CairnException("--starting-deadline must be at least 10s: Kubernetes checks CronJobs every 10 seconds, so a shorter one can miss every run", ExitCode.Usage);
            if (session.Get(backoff) < 0) throw new CairnException("--backoff-limit must be 0 or more", ExitCode.Usage);
            session.Out.Write(KubernetesCronJobs.Render(jobs, new KubernetesOptions
            {
                Image = session.Get(image),
                Namespace = session.Get(ns),
                ConfigSecret = session.Get(configSecret),
                PasswordSecret = session.Get(passwordSecret),
                Environment = config.Environment,
                StartingDeadline = startingDeadline,
                BackoffLimit = session.Get(backoff),
                GracePeriod = config.Daemon.GracePeriod,
            }));
            return Task.FromResult(0);
        });
        return command;
    }
}
