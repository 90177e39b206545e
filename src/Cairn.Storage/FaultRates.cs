namespace Cairn.Storage;

/// <summary>The probabilities, each in [0, 1] and together at most 1, of the faults injected into one kind of call.</summary>
/// <param name="Transient">Throw a transient <see cref="StorageException"/> before calling the real store.</param>
/// <param name="Permanent">Throw a permanent <see cref="StorageException"/> before calling the real store.</param>
/// <param name="Stall">Wait <see cref="FaultPlan.StallDuration"/> (honouring cancellation), then call the real store.</param>
/// <param name="PartialWrite">Puts only: store a prefix of the data under the real name, then throw a transient error,
/// as a backend without atomic writes would leave things after a crash.</param>
public sealed record FaultRates(double Transient = 0, double Permanent = 0, double Stall = 0, double PartialWrite = 0)
{
    /// <summary>No faults.</summary>
    public static FaultRates None { get; } = new();

    internal void Validate(string operation)
    {
        double[] rates = [Transient, Permanent, Stall, PartialWrite];
        if (rates.Any(r => r is < 0 or > 1 || double.IsNaN(r)) || rates.Sum() > 1)
        {
            throw new ArgumentException($"fault rates for {operation} must each be in [0, 1] and sum to at most 1: {this}");
        }
    }
}
