using StackExchange.Redis;

namespace Cairn.Components.Redis;

/// <summary>Opens StackExchange.Redis connections for the component, turning "cannot connect" into a component failure.</summary>
internal static class RedisConnector
{
    /// <summary>Connects to one server; a refused connection or login is a <see cref="ComponentFailedException"/> quoting the client.</summary>
    public static async Task<ConnectionMultiplexer> ConnectAsync(string host, int port, string? user, string? password, CancellationToken cancellationToken)
    {
        var configuration = new ConfigurationOptions
        {
            EndPoints = { { host, port } },
            User = user,
            Password = password,
            ClientName = "cairn",
            AbortOnConnectFail = true,
            ConnectRetry = 1,
            ConnectTimeout = 10_000,
            SyncTimeout = 60_000,
            AsyncTimeout = 60_000,
            // Only the server named: no cluster or sentinel discovery, no tie-breaker key written to it.
            TieBreaker = "",
        };
        try
        {
            return await ConnectionMultiplexer.ConnectAsync(configuration).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (RedisConnectionException e)
        {
            throw new ComponentFailedException($"cannot connect to redis at {host}:{port}: {OneLine(e.Message)}", e);
        }
    }

    /// <summary>A StackExchange.Redis message without its line breaks.</summary>
    public static string OneLine(string message) => string.Join(' ', message.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries));
}
