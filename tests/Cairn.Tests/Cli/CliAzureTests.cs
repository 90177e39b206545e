using System.Security.Cryptography;
using Azure.Storage.Blobs.Models;
using Cairn.Tests.Storage.Azure;

namespace Cairn.Tests.Cli;

/// <summary>
/// The CLI on "azure:container/prefix" locations against Azurite: the whole init → backup → restore → check cycle,
/// credentials from each kind of variable, and every failure as one line with its own exit code.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class CliAzureTests : IAsyncLifetime, IDisposable
{
    private readonly CliHarness _cli = new();
    private readonly string _container = Azurite.NewContainerName("cli");

    public CliAzureTests()
    {
        _cli.Env["CAIRN_REPOSITORY"] = $"azure:{_container}/backups/web1";
        _cli.Env["AZURE_STORAGE_CONNECTION_STRING"] = Azurite.ConnectionString;
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => Azurite.DeleteContainerAsync(_container);

    public void Dispose() => _cli.Dispose();

    [Fact]
    public async Task Init_backup_restore_and_check_through_an_azure_location()
    {
        var src = _cli.MakeTree();

        // init creates the missing container; everything lands under the prefix.
        await _cli.RunAsync(0, "init");
        var container = Azurite.Service().GetBlobContainerClient(_container);
        Assert.True((await container.GetBlobClient("backups/web1/config").ExistsAsync()).Value);

        await _cli.RunAsync(0, "backup", src);
        File.WriteAllText(Path.Combine(src, "a.txt"), "changed\n");
        await _cli.RunAsync(0, "backup", src);
        var snapshots = (await _cli.RunAsync(0, "snapshots", "--json")).Json;
        Assert.Equal(2, snapshots.GetArrayLength());

        var target = Path.Combine(_cli.Root, "restored");
        await _cli.RunAsync(0, "restore", "latest", "--target", target, "--verify");
        TreeAssert.Equal(src, target + src);
        await _cli.RunAsync(0, "check", "--read-data");

        // The same repository through an account name, key and endpoint instead of a connection string.
        _cli.Env.Remove("AZURE_STORAGE_CONNECTION_STRING");
        _cli.Env["AZURE_ACCOUNT_NAME"] = Azurite.AccountName;
        _cli.Env["AZURE_ACCOUNT_KEY"] = Azurite.AccountKey;
        _cli.Env["AZURE_ENDPOINT"] = Azurite.Endpoint;
        Assert.Equal(2, (await _cli.RunAsync(0, "snapshots", "--json")).Json.GetArrayLength());
    }

    [Fact]
    public async Task Data_packs_take_the_chosen_tier_and_an_archived_pack_stops_a_restore_with_exit_20()
    {
        var src = _cli.MakeTree();
        await _cli.RunAsync(0, "init");
        await _cli.RunAsync(0, "--data-storage-class", "Cool", "backup", src);
        var tiers = await TiersAsync();
        Assert.Contains(tiers, t => t.Key.Contains("/data/", StringComparison.Ordinal));
        Assert.All(tiers, t => Assert.Equal(t.Key.Contains("/data/", StringComparison.Ordinal) ? "Cool" : "Hot", t.Value));
        // Cool data is still read directly.
        await _cli.RunAsync(0, "restore", "latest", "--target", Path.Combine(_cli.Root, "cool"));

        File.WriteAllBytes(Path.Combine(src, "new.bin"), CliHarness.RandomBytes(50_000, 9));
        _cli.Env["CAIRN_DATA_STORAGE_CLASS"] = "Archive";
        await _cli.RunAsync(0, "backup", src);
        tiers = await TiersAsync();
        Assert.Contains(tiers, t => t.Value == "Archive");
        Assert.All(tiers.Where(t => !t.Key.Contains("/data/", StringComparison.Ordinal)), t => Assert.Equal("Hot", t.Value));

        // Backup and listing never read packs; a restore of the new file must, and says the data is cold.
        await _cli.RunAsync(0, "snapshots");
        var restore = await _cli.RunAsync(20, "restore", "latest", "--target", Path.Combine(_cli.Root, "cold"), "--include", src + "/new.bin");
        CliHarness.AssertOneLine(restore, "Archive");
    }

    [Fact]
    public async Task An_unknown_tier_is_a_usage_error()
    {
        var result = await _cli.RunAsync(2, "--data-storage-class", "GLACIER", "init");

        CliHarness.AssertOneLine(result, "Hot, Cool, Cold or Archive");
        Assert.False((await Azurite.Service().GetBlobContainerClient(_container).ExistsAsync()).Value);
    }

    [Fact]
    public async Task A_wrong_account_key_exits_19_without_printing_the_key()
    {
        await _cli.RunAsync(0, "init");
        var wrongKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(64));
        _cli.Env.Remove("AZURE_STORAGE_CONNECTION_STRING");
        _cli.Env["AZURE_ACCOUNT_NAME"] = Azurite.AccountName;
        _cli.Env["AZURE_ACCOUNT_KEY"] = wrongKey;
        _cli.Env["AZURE_ENDPOINT"] = Azurite.Endpoint;

        var result = await _cli.RunAsync(19, "snapshots");

        CliHarness.AssertOneLine(result, "refused the credentials");
        Assert.Contains("AZURE_ACCOUNT_KEY", result.Stderr);
        // Even the debug output (which adds the stack trace and the service's reply) never shows the secret.
        _cli.Env["CAIRN_DEBUG"] = "1";
        var debug = await _cli.RunAsync(19, "snapshots");
        Assert.DoesNotContain(wrongKey, debug.Stderr + debug.Stdout);
    }

    [Fact]
    public async Task A_forged_sas_exits_19_without_printing_it()
    {
        await _cli.RunAsync(0, "init");
        var signature = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        var sas = $"sv=2021-08-06&ss=b&srt=sco&sp=rwdlac&se=2099-01-01T00:00:00Z&spr=https,http&sig={Uri.EscapeDataString(signature)}";
        _cli.Env.Remove("AZURE_STORAGE_CONNECTION_STRING");
        _cli.Env["AZURE_ACCOUNT_NAME"] = Azurite.AccountName;
        _cli.Env["AZURE_ACCOUNT_SAS"] = sas;
        _cli.Env["AZURE_ENDPOINT"] = Azurite.Endpoint;
        _cli.Env["CAIRN_DEBUG"] = "1";

        var result = await _cli.RunAsync(19, "snapshots");

        Assert.Contains("AZURE_ACCOUNT_SAS", result.Stderr);
        Assert.DoesNotContain(signature, result.Stderr);
        Assert.DoesNotContain(Uri.EscapeDataString(signature), result.Stderr);
    }

    [Fact]
    public async Task A_missing_container_exits_10_for_everything_but_init()
    {
        var src = _cli.MakeTree();

        CliHarness.AssertOneLine(await _cli.RunAsync(10, "snapshots"), "cairn init");
        CliHarness.AssertOneLine(await _cli.RunAsync(10, "backup", src), $"'{_container}' does not exist");
        Assert.False((await Azurite.Service().GetBlobContainerClient(_container).ExistsAsync()).Value);
    }

    [Fact]
    public async Task A_closed_port_exits_18_with_one_line()
    {
        _cli.Env["AZURE_STORAGE_CONNECTION_STRING"] = Azurite.ConnectionString.Replace(
            new Uri(Azurite.Endpoint).Authority, $"127.0.0.1:{Azurite.FreePort()}", StringComparison.Ordinal);

        var result = await _cli.RunAsync(18, "snapshots");

        CliHarness.AssertOneLine(result, "cannot reach Azure Blob Storage at http://127.0.0.1:");
        Assert.Contains("connection refused", result.Stderr);
    }

    [Fact]
    public async Task Missing_or_contradictory_credentials_are_usage_errors()
    {
        _cli.Env.Remove("AZURE_STORAGE_CONNECTION_STRING");
        CliHarness.AssertOneLine(await _cli.RunAsync(2, "snapshots"), "AZURE_STORAGE_CONNECTION_STRING, or AZURE_ACCOUNT_NAME");
        _cli.Env["AZURE_ACCOUNT_NAME"] = Azurite.AccountName;
        CliHarness.AssertOneLine(await _cli.RunAsync(2, "snapshots"), "neither AZURE_ACCOUNT_KEY nor AZURE_ACCOUNT_SAS");
        _cli.Env["AZURE_ACCOUNT_KEY"] = Azurite.AccountKey;
        _cli.Env["AZURE_ENDPOINT"] = Azurite.Endpoint + "?sig=secret";
        var withQuery = await _cli.RunAsync(2, "snapshots");
        CliHarness.AssertOneLine(withQuery, "AZURE_ENDPOINT must not carry a query");
        Assert.DoesNotContain("secret", withQuery.Stderr);
        _cli.Env["AZURE_STORAGE_CONNECTION_STRING"] = Azurite.ConnectionString;
        CliHarness.AssertOneLine(await _cli.RunAsync(2, "snapshots"), "a connection string names its endpoint");
        _cli.Env.Remove("AZURE_ENDPOINT");
        _cli.Env["CAIRN_REPOSITORY"] = "azure:Bad_Name/x";
        CliHarness.AssertOneLine(await _cli.RunAsync(2, "snapshots"), "is not an Azure container name");
    }

    [Fact]
    public async Task Azurite_stopped_mid_backup_fails_the_backup_cleanly_and_the_next_backup_after_a_restart_succeeds()
    {
        await using var azurite = new PrivateAzurite();
        await azurite.StartAsync();
        _cli.Env["AZURE_STORAGE_CONNECTION_STRING"] = azurite.ConnectionString;
        await _cli.RunAsync(0, "init");
        var src = Path.Combine(_cli.Root, "big");
        Directory.CreateDirectory(src);
        for (var i = 0; i < 12; i++) File.WriteAllBytes(Path.Combine(src, $"f{i}.bin"), CliHarness.RandomBytes(8 << 20, 100 + i));

        // Stop the server as soon as the first pack has arrived, while the rest are still being written and uploaded.
        var container = new global::Azure.Storage.Blobs.BlobContainerClient(azurite.ConnectionString, _container);
        var backup = Task.Run(() => _cli.RunAsync("--timeout", "5s", "backup", src));
        var sawPack = false;
        while (!backup.IsCompleted && !sawPack)
        {
            await foreach (var _ in container.GetBlobsAsync(new GetBlobsOptions { Prefix = "backups/web1/data/" }))
            {
                sawPack = true;
                break;
            }

            if (!sawPack) await Task.Delay(20);
        }

        await azurite.KillAsync();
        var failed = await backup;
        Assert.True(sawPack, $"the backup ended before any pack reached the server: {failed}");
        Assert.True(failed.ExitCode is 16 or 18, $"expected a storage error (16) or unreachable (18), got {failed}");
        CliHarness.AssertOneLine(failed, "Azure");

        // Same port, same workspace: the data written before the stop is still there; no snapshot was recorded.
        await azurite.StartAsync();
        Assert.Equal(0, (await _cli.RunAsync(0, "snapshots", "--json")).Json.GetArrayLength());
        await _cli.RunAsync(0, "backup", src);
        Assert.Equal(1, (await _cli.RunAsync(0, "snapshots", "--json")).Json.GetArrayLength());
        await _cli.RunAsync(0, "check");
        var target = Path.Combine(_cli.Root, "restored");
        await _cli.RunAsync(0, "restore", "latest", "--target", target, "--include", src + "/f3.bin");
        Assert.Equal(CliHarness.RandomBytes(8 << 20, 103), File.ReadAllBytes(target + src + "/f3.bin"));
    }

    private async Task<Dictionary<string, string>> TiersAsync()
    {
        var tiers = new Dictionary<string, string>();
        await foreach (var blob in Azurite.Service().GetBlobContainerClient(_container).GetBlobsAsync(new GetBlobsOptions { Prefix = "backups/web1/" }))
        {
            tiers[blob.Name] = blob.Properties.AccessTier?.ToString() ?? "none";
        }

        return tiers;
    }
}
