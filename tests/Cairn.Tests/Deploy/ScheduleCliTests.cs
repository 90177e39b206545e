using System.Diagnostics;
using Cairn.Tests.Cli;

namespace Cairn.Tests.Deploy;

/// <summary>cairn schedule install|remove|status with a unit directory of the test's own (systemctl is never run for one).</summary>
public sealed class ScheduleCliTests : IDisposable
{
    private readonly CliHarness _cli = new();
    private readonly string _units;
    private readonly string _program;

    public ScheduleCliTests()
    {
        _units = Path.Combine(_cli.Root, "units");
        // systemd-analyze verify checks that ExecStart's program exists and is executable.
        _program = Path.Combine(_cli.Root, "bin", "cairn");
        Directory.CreateDirectory(Path.GetDirectoryName(_program)!);
        File.WriteAllText(_program, "#!/bin/sh\n");
        CliHarness.Sh($"chmod +x '{_program}'");
    }

    public void Dispose() => _cli.Dispose();

    private string WriteConfig(string jobs)
    {
        var path = Path.Combine(_cli.Root, "cairn.yaml");
        File.WriteAllText(path, $$"""
            instance: research
            targets:
              primary: {repository: {{_cli.Repo}}, password: {{CliHarness.Password}}}
            jobs:
            {{jobs}}
            """);
        _cli.Env["CAIRN_CONFIG"] = path;
        return path;
    }

    private const string TwoJobs = """
          platform:
            targets: [primary]
            schedule: "*/15 9-17 * * MON-FRI"
            time_zone: Europe/Berlin
            jitter: 10m
            max_duration: 6h
            components:
              - {name: k8s, type: command, command: [echo, hi]}
          monthly:
            targets: [primary]
            schedule: "0 3 L * *"
            components:
              - {name: k8s, type: command, command: [echo, hi]}
          manual:
            targets: [primary]
            components:
              - {name: k8s, type: command, command: [echo, hi]}
        """;

    private Task<CliResult> Install(int exit, params string[] more) =>
        _cli.RunAsync(exit, ["schedule", "install", "--unit-dir", _units, "--executable", _program, .. more]);

    [Fact]
    public async Task Install_writes_the_golden_service_and_timer_that_systemd_analyze_verify_accepts()
    {
        var config = WriteConfig(TwoJobs);
        var run = await Install(0);
        Assert.Contains("wrote cairn-platform.service, cairn-platform.timer, cairn-monthly.service, cairn-monthly.timer", run.Stdout);
        Assert.Contains("systemctl daemon-reload && systemctl enable --now cairn-platform.timer cairn-monthly.timer", run.Stdout);
        Assert.Equal(["cairn-monthly.service", "cairn-monthly.timer", "cairn-platform.service", "cairn-platform.timer"],
            Directory.GetFiles(_units).Select(Path.GetFileName).Order(StringComparer.Ordinal));

        Assert.Equal($$"""
            # Written by 'cairn schedule install'; 'cairn schedule remove' deletes it. Change the config and install again rather than editing.
            # cairn-job: platform
            # cairn-config: {{config}}

            [Unit]
            Description=Cairn backup job platform
            Wants=network-online.target
            After=network-online.target

            [Service]
            Type=oneshot
            ExecStart={{_program}} --config {{config}} job run platform
            Nice=10
            IOSchedulingClass=idle
            NoNewPrivileges=yes
            PrivateTmp=yes
            ProtectSystem=full
            ProtectKernelTunables=yes
            ProtectKernelModules=yes
            ProtectControlGroups=yes
            RestrictRealtime=yes
            LockPersonality=yes
            KillMode=mixed
            TimeoutStopSec=300
            TimeoutStartSec=21960

            """, File.ReadAllText(Path.Combine(_units, "cairn-platform.service")));
        Assert.Equal($$"""
            # Written by 'cairn schedule install'; 'cairn schedule remove' deletes it. Change the config and install again rather than editing.
            # cairn-job: platform
            # cairn-config: {{config}}

            [Unit]
            Description=Schedule of Cairn backup job platform

            [Timer]
            # cron: */15 9-17 * * MON-FRI (Europe/Berlin)
            OnCalendar=Mon..Fri *-*-* 09..17:00/15:00 Europe/Berlin
            AccuracySec=1s
            RandomizedDelaySec=600
            Persistent=true
            Unit=cairn-platform.service

            [Install]
            WantedBy=timers.target

            """, File.ReadAllText(Path.Combine(_units, "cairn-platform.timer")));
        var monthly = File.ReadAllText(Path.Combine(_units, "cairn-monthly.timer"));
        Assert.Contains("OnCalendar=*-*~01 03:00:00 UTC\n", monthly);
        Assert.DoesNotContain("RandomizedDelaySec", monthly);
        Assert.DoesNotContain("TimeoutStartSec", File.ReadAllText(Path.Combine(_units, "cairn-monthly.service")));

        Verify(Directory.GetFiles(_units));
    }

    [Fact]
    public async Task User_units_leave_out_what_a_user_manager_cannot_apply_and_also_verify()
    {
        WriteConfig(TwoJobs);
        var dry = await Install(0, "--user", "--dry-run");
        Assert.Empty(Directory.Exists(_units) ? Directory.GetFiles(_units) : []);
        Assert.Contains($"# {_units}/cairn-platform.service\n", dry.Stdout);
        Assert.DoesNotContain("ProtectSystem", dry.Stdout);
        Assert.DoesNotContain("network-online", dry.Stdout);
        Assert.Contains("NoNewPrivileges=yes", dry.Stdout);
        await Install(0, "--user");
        Verify([.. Directory.GetFiles(_units)], user: true);
    }

    private static void Verify(string[] files, bool user = false)
    {
        const string analyze = "/usr/bin/systemd-analyze";
        Assert.True(File.Exists(analyze), $"{analyze} is missing: install the systemd package (the test script does)");
        var info = new ProcessStartInfo(analyze) { RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add("verify");
        if (user)
        {
            // The user manager that verify simulates needs a runtime directory, which a test host may not have.
            info.ArgumentList.Add("--user");
            var runtime = Path.Combine(Path.GetDirectoryName(files[0])!, "..", "runtime");
            Directory.CreateDirectory(runtime);
            info.Environment["XDG_RUNTIME_DIR"] = Path.GetFullPath(runtime);
        }
        foreach (var file in files) info.ArgumentList.Add(file);
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
        process.WaitForExit();
        // verify also reports problems of unrelated system units on some hosts; only lines about ours count.
        var ours = output.Split('\n').Where(l => l.Contains("cairn-", StringComparison.Ordinal)).ToList();
        Assert.True(process.ExitCode == 0 && ours.Count == 0, $"systemd-analyze verify: exit {process.ExitCode}\n{output}");
    }

    [Fact]
    public async Task Reinstall_keeps_unchanged_units_drops_unscheduled_jobs_and_never_overwrites_a_foreign_unit()
    {
        WriteConfig(TwoJobs);
        await Install(0);
        var again = (await Install(0, "--json")).Json;
        Assert.Equal(4, again.GetProperty("unchanged").GetArrayLength());
        Assert.Equal(0, again.GetProperty("written").GetArrayLength());
        Assert.False(again.GetProperty("started").GetBoolean());

        // monthly loses its schedule: its units go, platform's stay.
        WriteConfig(TwoJobs.Replace("    schedule: \"0 3 L * *\"\n", "", StringComparison.Ordinal));
        var after = (await Install(0, "--json")).Json;
        Assert.Equal(["cairn-monthly.service", "cairn-monthly.timer"], after.GetProperty("removed").EnumerateArray().Select(e => e.GetString()));
        Assert.False(File.Exists(Path.Combine(_units, "cairn-monthly.timer")));

        // A unit of the same name that cairn did not write stays as it is, and nothing is written.
        File.WriteAllText(Path.Combine(_units, "cairn-platform.timer"), "[Timer]\nOnCalendar=daily\n");
        File.Delete(Path.Combine(_units, "cairn-platform.service"));
        CliHarness.AssertOneLine(await Install(2), "was not written by cairn");
        Assert.Equal("[Timer]\nOnCalendar=daily\n", File.ReadAllText(Path.Combine(_units, "cairn-platform.timer")));
        Assert.False(File.Exists(Path.Combine(_units, "cairn-platform.service")));
    }

    [Fact]
    public async Task Status_lists_the_timers_and_remove_deletes_only_cairns_units()
    {
        WriteConfig(TwoJobs);
        await Install(0);
        File.WriteAllText(Path.Combine(_units, "cairn-other.service"), "[Service]\nExecStart=/bin/true\n");

        var status = await _cli.RunAsync(0, "schedule", "status", "--unit-dir", _units);
        Assert.Matches(@"platform\s+cairn-platform\.timer\s+Mon\.\.Fri \*-\*-\* 09\.\.17:00/15:00 Europe/Berlin", status.Stdout);
        Assert.Matches(@"monthly\s+cairn-monthly\.timer\s+\*-\*~01 03:00:00 UTC", status.Stdout);
        Assert.Contains("states and times are unknown", status.Stdout);
        var json = (await _cli.RunAsync(0, "schedule", "status", "--unit-dir", _units, "--json")).Json;
        Assert.Equal(["monthly", "platform"], json.GetProperty("timers").EnumerateArray().Select(t => t.GetProperty("job").GetString()));

        var one = (await _cli.RunAsync(0, "schedule", "remove", "--unit-dir", _units, "--job", "monthly", "--json")).Json;
        Assert.Equal(["cairn-monthly.service", "cairn-monthly.timer"], one.GetProperty("removed").EnumerateArray().Select(e => e.GetString()));
        CliHarness.AssertOneLine(await _cli.RunAsync(17, "schedule", "remove", "--unit-dir", _units, "--job", "monthly"), "no units cairn wrote for job 'monthly'");
        var all = await _cli.RunAsync(0, "schedule", "remove", "--unit-dir", _units);
        Assert.Contains("removed cairn-platform.service, cairn-platform.timer", all.Stdout);
        Assert.Equal(["cairn-other.service"], Directory.GetFiles(_units).Select(Path.GetFileName));
        Assert.Contains("no timers cairn wrote", (await _cli.RunAsync(0, "schedule", "status", "--unit-dir", _units)).Stdout);
    }

    [Fact]
    public async Task Unusable_schedules_and_jobs_without_one_are_one_line_errors()
    {
        WriteConfig("""
              nightly:
                targets: [primary]
                schedule: "0 0 15W * *"
                components:
                  - {name: k8s, type: command, command: [echo, hi]}
              manual:
                targets: [primary]
                components:
                  - {name: k8s, type: command, command: [echo, hi]}
            """);
        CliHarness.AssertOneLine(await Install(2), "job 'nightly': schedule '0 0 15W * *': '15W': the nearest-weekday form (W)");
        CliHarness.AssertOneLine(await Install(2, "--job", "manual"), "job 'manual' has no schedule");
        CliHarness.AssertOneLine(await Install(17, "--job", "nope"), "has no job 'nope'");
        Assert.False(Directory.Exists(_units));
        WriteConfig("""
              manual:
                targets: [primary]
                components:
                  - {name: k8s, type: command, command: [echo, hi]}
            """);
        CliHarness.AssertOneLine(await Install(2), "has a schedule");
    }
}
