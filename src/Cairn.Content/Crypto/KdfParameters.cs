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
    public static KdfParameters ForNewKeyFile(TimeSpan target, int maxMemoryKiB = 256 * 1024)
    {
        var cheap = Environment.GetEnvironmentVariable(CheapKdfEnvironmentVariable);
        return !string.IsNullOrEmpty(cheap) && cheap != "0" ? ForTests : Calibrate(target, maxMemoryKiB);
    }

    /// <summary>
    /// Picks parameters so that one derivation takes about <paramref name="target"/> on this machine.
    /// </summary>
    /// <remarks>
    /// Memory is what makes Argon2 expensive for an attacker's GPUs, so it grows first: from 64 MiB (or
    /// <paramref name="maxMemoryKiB"/> if that is lower) up to <paramref name="maxMemoryKiB"/>. Only once memory is
    /// capped do iterations grow beyond 2. The cost is taken as proportional to memory × iterations, from one
    /// timed derivation at the floor. Parallelism is the core count, at most 4: more lanes use more cores at
    /// once rather than costing an attacker more. A target below the floor's cost still gets the floor.
    /// </remarks>
    public static KdfParameters Calibrate(TimeSpan target, int maxMemoryKiB = 256 * 1024)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxMemoryKiB, 8 * 1024);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxMemoryKiB, MaxMemoryKiB);
        int parallelism = Math.Clamp(Environment.ProcessorCount, 1, 4);
        int memory = Math.Min(MinimumCalibratedMemoryKiB, maxMemoryKiB);
        var floor = new KdfParameters(memory, MinimumCalibratedIterations, parallelism);

        Span<byte> salt = stackalloc byte[KeyFile.SaltLength];
        RandomNumberGenerator.Fill(salt);
        var stopwatch = Stopwatch.StartNew();
        CryptographicOperations.ZeroMemory(floor.DeriveKey("calibration"u8, salt));
        double floorSeconds = Math.Max(stopwatch.Elapsed.TotalSeconds, 1e-6);

        double budget = target.TotalSeconds / floorSeconds; // how many "floors" fit in the target
        if (budget <= 1) return floor;
        // Whole MiB keep the numbers readable in `cairn key list`.
        long scaledMemory = (long)(memory * budget) / 1024 * 1024;
        int newMemory = (int)Math.Clamp(scaledMemory, memory, maxMemoryKiB);
        double remaining = budget * memory / newMemory; // floors' worth still unspent, in units of the floor's iterations
        int iterations = (int)Math.Clamp(Math.Round(MinimumCalibratedIterations * remaining), MinimumCalibratedIterations, 64);
        return new KdfParameters(newMemory, iterations, parallelism);
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
