namespace Cairn.Storage;

/// <summary>What <see cref="FaultInjectingBlobStore"/> injects, per operation; the same seed gives the same faults.</summary>
/// <param name="Seed">Seeds the random choices, so a failing test can be replayed exactly.</param>
public sealed record FaultPlan(int Seed)
{
    /// <summary>Faults for <see cref="IBlobStore.PutAsync"/>.</summary>
    public FaultRates Put { get; init; } = FaultRates.None;

    /// <summary>Faults for <see cref="IBlobStore.GetAsync"/>.</summary>
    public FaultRates Get { get; init; } = FaultRates.None;

    /// <summary>Faults for <see cref="IBlobStore.ReadRangeAsync"/>.</summary>
    public FaultRates ReadRange { get; init; } = FaultRates.None;

    /// <summary>Faults for <see cref="IBlobStore.StatAsync"/>.</summary>
    public FaultRates Stat { get; init; } = FaultRates.None;

    /// <summary>Faults for <see cref="IBlobStore.ListAsync"/>, raised when the listing starts.</summary>
    public FaultRates List { get; init; } = FaultRates.None;

    /// <summary>Faults for <see cref="IBlobStore.DeleteAsync"/>.</summary>
    public FaultRates Delete { get; init; } = FaultRates.None;

    /// <summary>
    /// The kinds of blob faults hit (a listing counts as its kind); null for every kind. Calls on other kinds still draw
    /// from the random sequence, so narrowing the kinds does not change which calls are hit.
    /// </summary>
    public IReadOnlySet<BlobKind>? Kinds { get; init; }

    /// <summary>How long a stall lasts.</summary>
    public TimeSpan StallDuration { get; init; } = TimeSpan.FromMilliseconds(50);

    /// <summary>A plan with the same rates for every operation (partial writes apply to puts only).</summary>
    public static FaultPlan Uniform(int seed, FaultRates rates) =>
        new(seed)
        {
            Put = rates,
            Get = rates with { PartialWrite = 0 },
            ReadRange = rates with { PartialWrite = 0 },
            Stat = rates with { PartialWrite = 0 },
            List = rates with { PartialWrite = 0 },
            Delete = rates with { PartialWrite = 0 },
        };
}
