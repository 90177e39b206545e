using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Cairn.Cli;

/// <summary>One parsed invocation: the environment plus the global options' values, and the output helpers.</summary>
internal sealed class Session
{
    private static readonly JsonSerializerOptions s_json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    };

    public Session(CliEnvironment env, GlobalOptions options, ParseResult parse)
    {
        Env = env;
        Parse = parse;
        RepositoryOption = parse.GetValue(options.Repository);
        PasswordFileOption = parse.GetValue(options.PasswordFile);
        ConfigOption = parse.GetValue(options.Config);
        EnvironmentOption = parse.GetValue(options.Environment);
        Json = parse.GetValue(options.Json);
        Quiet = parse.GetValue(options.Quiet);
        Verbose = parse.GetValue(options.Verbose);
        RetryLockOption = parse.GetValue(options.RetryLock);
        NoLock = parse.GetValue(options.NoLock);
        Transfer = ReadTransferOptions(env, options, parse);
    }

    public CliEnvironment Env { get; }
    public ParseResult Parse { get; }
    public string? RepositoryOption { get; }
    public string? PasswordFileOption { get; }
    public string? ConfigOption { get; }
    public string? EnvironmentOption { get; }
    public bool Json { get; }
    public bool Quiet { get; }
    public bool Verbose { get; }
    public string? RetryLockOption { get; }
    public bool NoLock { get; }

    /// <summary>How remote stores transfer (connections, timeout, bandwidth, retries); set from the global options.</summary>
    public Cairn.Storage.TransferOptions Transfer { get; }

    public TextWriter Out => Env.Out;

    private static Cairn.Storage.TransferOptions ReadTransferOptions(CliEnvironment env, GlobalOptions options, ParseResult parse)
    {
        var transfer = new Cairn.Storage.TransferOptions();
        if (parse.GetValue(options.Connections) is { } connections)
        {
            if (connections is < 1 or > 128) throw new CairnException("--connections must be between 1 and 128", ExitCode.Usage);
            transfer = transfer with { Connections = connections };
        }
        if (parse.GetValue(options.Timeout) is { } timeout)
            transfer = transfer with { RequestTimeout = Durations.Parse(timeout, "--timeout") };
        if (parse.GetValue(options.LimitUpload) is { } limit)
        {
            var rate = ByteSizes.TryParse(limit);
            if (rate is null or < 1024) throw new CairnException($"--limit-upload: '{limit}' is not a rate of at least 1k (bytes per second, e.g. 800k, 12M)", ExitCode.Usage);
            transfer = transfer with { UploadBytesPerSecond = rate };
        }
        if ((parse.GetValue(options.DataStorageClass) ?? env.Get("CAIRN_DATA_STORAGE_CLASS")) is { } storageClass)
            transfer = transfer with { DataStorageClass = storageClass };
        return transfer;
    }

    /// <summary>A live progress display may be drawn (on stderr).</summary>
    public bool ShowProgress => Env.StderrIsTerminal && !Json && !Quiet;

    public T Get<T>(Option<T> option) => Parse.GetValue(option)!;

    public T Get<T>(Argument<T> argument) => Parse.GetValue(argument)!;

    /// <summary>A human-readable line on stdout, unless --quiet or --json.</summary>
    public void Info(string line)
    {
        if (!Quiet && !Json) Out.WriteLine(line);
    }

    /// <summary>A warning on stderr (always shown).</summary>
    public void Warn(string line) => Env.Error.WriteLine("cairn: warning: " + line);

    /// <summary>Writes one JSON value on its own line.</summary>
    public void WriteJson(object value) => Out.WriteLine(value is JsonNode node ? node.ToJsonString(s_json) : JsonSerializer.Serialize(value, s_json));

    public static JsonNode ToNode(object value) => JsonSerializer.SerializeToNode(value, s_json)!;
}
