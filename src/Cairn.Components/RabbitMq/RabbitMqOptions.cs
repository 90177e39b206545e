namespace Cairn.Components.RabbitMq;

/// <summary>Options of the <c>rabbitmq</c> component: the management API and an administrator's credentials.</summary>
public sealed record RabbitMqOptions : ComponentOptions
{
    /// <summary>The management API's base URL, e.g. "http://127.0.0.1:15672".</summary>
    public required string Url { get; init; }

    /// <summary>A user with the administrator tag (reading definitions needs it).</summary>
    public required string User { get; init; }

    /// <summary>That user's password.</summary>
    [Secret]
    public required string Password { get; init; }

    /// <summary>Only this vhost's definitions (queues, exchanges, bindings, policies); default: the whole broker.</summary>
    public string? Vhost { get; init; }

    /// <summary>PEM CA certificates the server's certificate must chain to (https URLs).</summary>
    public string? CaFile { get; init; }

    /// <summary>Accept any server certificate (never in production).</summary>
    public bool Insecure { get; init; }

    /// <summary>How long one request may wait for its response.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(2);
}
