using System.Diagnostics;
using System.Security.Cryptography;
using Konscious.Security.Cryptography;

namespace Cairn.Content.Crypto;

/// <summary>Argon2id parameters for deriving a key-encryption key from a password.</summary>
public sealed record KdfParameters(int MemoryKiB, int Iterations, int Parallelism)
{
    /// <summary>Length of a derived key in bytes.</summary>
    public const int KeyLength = 32;

    /// <summary>The memory floor of <see cref="Calibrate"/>: RFC 9106's second recommended option uses 64 MiB.</summary>
    public const int MinimumCalibratedMemoryKiB = 64 * 1024;

    /// <summary>
    /// The default memory cap of <see cref="Calibrate"/>: 64 MiB (RFC 9106's second recommended option), made up in
    /// iterations. Every open pays this memory, so a larger cap would dominate cairn's peak memory for little gain.
    /// </summary>
    public const int DefaultMaxMemoryKiB = 64 * 1024;

    /// <summary>The iteration floor of <see cref="Calibrate"/>.</summary>
    public const int MinimumCalibratedIterations = 2;

    // Bounds checked when a key file is read, so a hostile key file cannot make us allocate terabytes or spin forever.
    internal const int MaxMemoryKiB = 4 * 1024 * 1024;
    internal const int MaxIterations = 1000;
    internal const int MaxParallelism = 64;

    /// <summary>The environment variable that makes new key files use <see cref="ForTests"/> (tests and demos only).</summary>
    public const string CheapKdfEnvironmentVariable = "CAIRN_TEST_CHEAP_KDF";

    /// <summary>Parameters that cost almost nothing: for tests and <see cref="CheapKdfEnvironmentVariable"/> only.</summary>
    public static KdfParameters ForTests { get; } = new(1024, 1, 1);

    /// <summary>
    /// Parameters for a new key file: <see cref="ForTests"/> if <see cref="CheapKdfEnvironmentVariable"/> is set to
    /// a non-empty value other than "0", otherwise <see cref="Calibrate"/>.
    /// </summary>
    public static KdfParameters ForNewKeyFile(TimeSpan target, int maxMemoryKiB = DefaultMaxMemoryKiB)
    {
        var cheap = Environment.GetEnvironmentVariable(CheapKdfEnvironmentVariable);
        return !string.IsNullOrEmpty(cheap) && cheap != "0" ? ForTests : Calibrate(target, maxMemoryKiB);
    }

    /// <summary>
    /// Picks parameters so that one derivation takes about <paramref name="target"/> on this machine.
    /// </summary>
    /// <remarks>
    /// Memory is what makes Argon2 expensive for an attacker's GPUs, so it grows first: from 64 MiB (or
    /// <paramref name="maxMemoryKiB"/> if that is lower) up to <paramref name="maxMemoryKiB"/>, sized from one timed
    /// derivation at the floor (64 MiB, 2 iterations) taking cost as proportional to memory. Only once memory is
    /// capped do iterations grow beyond 2, sized from a second timed derivation at the capped memory, up to 64.
    /// Parallelism is the core count, at most 4: more lanes use more cores at once rather than costing an attacker
    /// more. A target below the floor's cost still gets the floor, so calibration never goes below 64 MiB and 2
    /// iterations. Calibration itself takes at most about twice the target; on a busy machine it undershoots.
    /// </remarks>
    public static KdfParameters Calibrate(TimeSpan target, int maxMemoryKiB = DefaultMaxMemoryKiB)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxMemoryKiB, 8 * 1024);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxMemoryKiB, MaxMemoryKiB);
        int parallelism = Math.Clamp(Environment.ProcessorCount, 1, 4);
        int memory = Math.Min(MinimumCalibratedMemoryKiB, maxMemoryKiB);
        var floor = new KdfParameters(memory, MinimumCalibratedIterations, parallelism);

        ForTests.DeriveKey("warm-up"u8, new byte[KeyFile.SaltLength]); // keep JIT time out of the measurement
        double floorSeconds = Time(floor);
        double budget = target.TotalSeconds / floorSeconds; // how many floors fit in the target
        if (budget <= 1) return floor;

        // Whole MiB keep the numbers readable in `cairn key list`.
        long scaledMemory = (long)(memory * budget) / 1024 * 1024;
        int newMemory = (int)Math.Clamp(scaledMemory, memory, maxMemoryKiB);
        if (newMemory < maxMemoryKiB) return new KdfParameters(newMemory, MinimumCalibratedIterations, parallelism);

        // Memory is capped: time the capped memory itself, since cost is not quite linear in memory (caches), then
        // spend the rest of the target on iterations. This costs at most one more target's worth of time.
        var capped = new KdfParameters(newMemory, MinimumCalibratedIterations, parallelism);
        double cappedSeconds = Time(capped);
        int iterations = (int)Math.Clamp(Math.Floor(MinimumCalibratedIterations * target.TotalSeconds / cappedSeconds),
            MinimumCalibratedIterations, 64);
        return capped with { Iterations = iterations };
    }

    private static double Time(KdfParameters parameters)
    {
        Span<byte> salt = stackalloc byte[KeyFile.SaltLength];
        RandomNumberGenerator.Fill(salt);
        var stopwatch = Stopwatch.StartNew();
        CryptographicOperations.ZeroMemory(parameters.DeriveKey("calibration"u8, salt));
        return Math.Max(stopwatch.Elapsed.TotalSeconds, 1e-6);
    }

    /// <summary>Derives a 32-byte key from a non-empty password and a salt.</summary>
    public byte[] DeriveKey(ReadOnlySpan<byte> password, ReadOnlySpan<byte> salt)
    {
        Validate();
        // Argon2 itself allows it, but the library refuses, and an empty password protects nothing anyway.
        if (password.IsEmpty) throw new ArgumentException("the password is empty", nameof(password));
        var passwordCopy = password.ToArray();
        try
        {
            using var argon = new Argon2id(passwordCopy)
            {
                Salt = salt.ToArray(),
                MemorySize = MemoryKiB,
                Iterations = Iterations,
                DegreeOfParallelism = Parallelism,
            };
            return argon.GetBytes(KeyLength);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(passwordCopy);
        }
    }

    /// <summary>True if the parameters are within the bounds a key file may use.</summary>
    public bool IsValid =>
        Parallelism is >= 1 and <= MaxParallelism
        && Iterations is >= 1 and <= MaxIterations
        && MemoryKiB >= 8 * Parallelism && MemoryKiB <= MaxMemoryKiB; // Argon2 needs at least 8 KiB per lane

    private void Validate()
    {
        if (!IsValid) throw new ArgumentException($"Argon2id parameters out of range: {this}");
    }
}
