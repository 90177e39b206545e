using System.Text.Json.Nodes;
using Cairn.Components.Etcd;
using Cairn.Components.Tools;

namespace Cairn.Tests.Components.Etcd;

/// <summary>The etcd member tests/servers/etcd.sh starts, and etcdctl calls to look at it independently of the component.</summary>
internal static class EtcdTestServer
{
    public static string Endpoint => Required("CAIRN_TEST_ETCD_ENDPOINT");

    public static string User => Required("CAIRN_TEST_ETCD_USER");

    public static string Password => Required("CAIRN_TEST_ETCD_PASSWORD");

    /// <summary>A scratch directory for restored data directories and second members.</summary>
    public static string ScratchDir => Required("CAIRN_TEST_ETCD_DIR");

    public static EtcdOptions Options => new() { Endpoints = [Endpoint], User = User, Password = Password };

    /// <summary>Runs etcdctl against <paramref name="endpoint"/> as root (the password in ETCDCTL_USER, as the component's docs say).</summary>
    public static Task<string> CtlAsync(string endpoint, params string[] arguments) =>
        ToolRunner.RunCapturingAsync(new ToolCommand
        {
            Program = "etcdctl",
            Arguments = ["--endpoints", endpoint, .. arguments],
            Environment = new Dictionary<string, string> { ["ETCDCTL_API"] = "3", ["ETCDCTL_USER"] = $"{User}:{Password}" },
            DebianPackage = "etcd-client",
        }, CancellationToken.None);

    /// <summary>Every key and value (base64, so binary ones compare exactly), read with etcdctl.</summary>
    public static async Task<SortedDictionary<string, string>> AllKeysAsync(string endpoint)
    {
        var json = JsonNode.Parse(await CtlAsync(endpoint, "get", "", "--prefix", "-w", "json"))!;
        var keys = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var kv in json["kvs"]?.AsArray() ?? [])
            keys[kv!["key"]!.GetValue<string>()] = kv["value"]?.GetValue<string>() ?? "";
        return keys;
    }

    /// <summary>The lease id of <paramref name="key"/> (0 for none).</summary>
    public static async Task<long> LeaseOfAsync(string endpoint, string key)
    {
        var json = JsonNode.Parse(await CtlAsync(endpoint, "get", key, "-w", "json"))!;
        return json["kvs"]![0]!["lease"]?.GetValue<long>() ?? 0;
    }

    public static string Base64(string text) => Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(text));

    private static string Required(string name) =>
        Environment.GetEnvironmentVariable(name) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException($"{name} is not set: run ./test.sh (it starts the servers), or source tests/servers/etcd.sh");
}
