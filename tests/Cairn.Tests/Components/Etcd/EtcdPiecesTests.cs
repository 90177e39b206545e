using System.Security.Cryptography;
using System.Text;
using Cairn.Components;
using Cairn.Components.Etcd;
using Cairn.Components.Tools;

namespace Cairn.Tests.Components.Etcd;

/// <summary>The etcd component's pieces that need no server: the snapshot stream decoder, endpoints, commands.</summary>
public sealed class EtcdPiecesTests
{
    // A stand-in database and the gateway's lines for it: blobs of 1000 bytes, then the SHA-256 trailer, as etcd sends.
    private static (byte[] Database, List<string> Lines) GatewayLines(int size)
    {
        var database = new byte[size];
        new Random(5).NextBytes(database);
        var lines = database.Chunk(1000).Select(c => $"{{\"result\":{{\"remaining_bytes\":\"1\",\"blob\":\"{Convert.ToBase64String(c)}\"}}}}").ToList();
        lines.Add($"{{\"result\":{{\"blob\":\"{Convert.ToBase64String(SHA256.HashData(database))}\"}}}}");
        return (database, lines);
    }

    private static async Task<byte[]> ReadAsync(IEnumerable<string> lines)
    {
        var reader = new EtcdSnapshotReader(new StringReader(string.Join('\n', lines) + "\n"), "test");
        using var output = new MemoryStream();
        await using var stream = reader.AsStream();
        await stream.CopyToAsync(output);
        return output.ToArray();
    }

    [Fact]
    public async Task The_snapshot_stream_is_the_database_followed_by_its_hash_as_etcdctl_writes_it()
    {
        var (database, lines) = GatewayLines(4567);

        var bytes = await ReadAsync(lines);

        Assert.Equal([.. database, .. SHA256.HashData(database)], bytes);
    }

    [Fact]
    public async Task A_snapshot_stream_cut_short_fails()
    {
        var (_, lines) = GatewayLines(4567);

        var e = await Assert.ThrowsAsync<ComponentFailedException>(() => ReadAsync(lines.Take(lines.Count - 1)));

        Assert.Contains("does not end with its SHA-256", e.Message, StringComparison.Ordinal);
        Assert.Equal(ExitCode.ComponentFailed, e.ExitCode);
    }

    [Fact]
    public async Task A_damaged_blob_fails_the_hash_check()
    {
        var (database, lines) = GatewayLines(3000);
        var damaged = (byte[])database.Clone();
        damaged[1500] ^= 1;
        lines[1] = $"{{\"result\":{{\"blob\":\"{Convert.ToBase64String(damaged.AsSpan(1000, 1000))}\"}}}}";

        await Assert.ThrowsAsync<ComponentFailedException>(() => ReadAsync(lines));
    }

    [Fact]
    public async Task An_error_message_in_the_stream_fails_with_etcds_words()
    {
        var (_, lines) = GatewayLines(3000);
        lines.Insert(2, "{\"error\":{\"grpc_code\":2,\"http_code\":500,\"message\":\"etcdserver: mvcc: database space exceeded\"}}");

        var e = await Assert.ThrowsAsync<ComponentFailedException>(() => ReadAsync(lines));

        Assert.Contains("etcdserver: mvcc: database space exceeded", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_empty_stream_fails()
    {
        var e = await Assert.ThrowsAsync<ComponentFailedException>(() => ReadAsync([]));
        Assert.Contains("empty", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("http://10.0.0.1:2379", false, "http://10.0.0.1:2379/")]
    [InlineData("10.0.0.1:2379", false, "http://10.0.0.1:2379/")]
    [InlineData("10.0.0.1:2379", true, "https://10.0.0.1:2379/")]
    [InlineData("https://etcd.example:2379/", false, "https://etcd.example:2379/")]
    public void Endpoints_without_a_scheme_get_https_when_tls_files_are_set(string text, bool tls, string expected) =>
        Assert.Equal(expected, EtcdGateway.ParseEndpoint(text, tls).ToString());

    [Fact]
    public void An_endpoint_that_is_not_http_is_a_usage_error() =>
        Assert.Equal(ExitCode.Usage, Assert.Throws<CairnException>(() => EtcdGateway.ParseEndpoint("unix:///run/etcd.sock", tls: false)).ExitCode);

    [Theory]
    [InlineData("/registry/pods/default/x", "/registry/")]
    [InlineData("app/config", "app/")]
    [InlineData("plain", "plain")]
    [InlineData("/top", "/top")]
    public void Keys_are_counted_by_their_first_path_segment(string key, string group) =>
        Assert.Equal(group, EtcdKeyExport.GroupOf(Encoding.UTF8.GetBytes(key)));

    [Fact]
    public void The_restore_command_names_the_member_only_when_asked_and_holds_no_secret()
    {
        var plain = EtcdSnapshotRestore.Command("/tmp/s.db", "/var/lib/etcd-new", memberName: null);
        Assert.Equal(["snapshot", "restore", "/tmp/s.db", "--data-dir", "/var/lib/etcd-new"], plain.Arguments);
        Assert.Equal("3", plain.Environment["ETCDCTL_API"]);

        var named = EtcdSnapshotRestore.Command("/tmp/s.db", "/var/lib/etcd-new", "node1");
        Assert.Equal(["snapshot", "restore", "/tmp/s.db", "--data-dir", "/var/lib/etcd-new", "--name", "node1",
            "--initial-cluster", "node1=http://localhost:2380", "--initial-advertise-peer-urls", "http://localhost:2380"], named.Arguments);
    }

    [Fact]
    public void Etcdctls_info_logs_are_not_errors_but_its_error_logs_are()
    {
        var command = EtcdSnapshotRestore.Command("/srv/error-reports/s.db", "/d", null);
        Assert.False(command.IsErrorLine("{\"level\":\"info\",\"msg\":\"restored snapshot\",\"path\":\"/srv/error-reports/s.db\"}"));
        Assert.True(command.IsErrorLine("{\"level\":\"fatal\",\"msg\":\"failed to restore\"}"));
    }

    [Fact]
    public async Task A_missing_etcdctl_names_the_debian_package()
    {
        var command = EtcdSnapshotRestore.Command("/tmp/s.db", "/d", null) with { Program = "/nonexistent/etcdctl" };

        var e = await Assert.ThrowsAsync<ComponentFailedException>(() => ToolRunner.RunCapturingAsync(command, CancellationToken.None));

        Assert.Contains("apt-get install etcd-client", e.Message, StringComparison.Ordinal);
    }
}
