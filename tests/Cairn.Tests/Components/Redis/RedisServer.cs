namespace Cairn.Tests.Components.Redis;

/// <summary>The test Redis server tests/servers/redis.sh starts; its tests fail (not skip) when it is not running.</summary>
internal static class RedisServer
{
    public static string Host => Variable("CAIRN_TEST_REDIS_HOST");
    public static int Port => int.Parse(Variable("CAIRN_TEST_REDIS_PORT"), System.Globalization.CultureInfo.InvariantCulture);
    public static string Password => Variable("CAIRN_TEST_REDIS_PASSWORD");
    public static int SparePort => int.Parse(Variable("CAIRN_TEST_REDIS_SPARE_PORT"), System.Globalization.CultureInfo.InvariantCulture);
    public static int Keys => int.Parse(Variable("CAIRN_TEST_REDIS_KEYS"), System.Globalization.CultureInfo.InvariantCulture);

    private static string Variable(string name) => TestServerVariables.Get(name, "redis.sh");
}
