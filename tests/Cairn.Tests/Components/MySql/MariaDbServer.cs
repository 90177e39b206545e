using System.Globalization;
using Cairn.Components.MySql;
using Cairn.Components.Tools;

namespace Cairn.Tests.Components.MySql;

/// <summary>
/// The test MariaDB server tests/servers/mariadb.sh starts (tests fail, not skip, when it is not running), and test
/// databases of known rows: each test makes its own, so tests can drop and restore them side by side.
/// </summary>
internal static class MariaDbServer
{
    public static string Host => Variable("CAIRN_TEST_MARIADB_HOST");
    public static int Port => int.Parse(Variable("CAIRN_TEST_MARIADB_PORT"), CultureInfo.InvariantCulture);
    public static string User => Variable("CAIRN_TEST_MARIADB_USER");
    public static string Password => Variable("CAIRN_TEST_MARIADB_PASSWORD");

    public static MySqlOptions Options(params string[] databases) =>
        new() { Host = Host, Port = Port, User = User, Password = Password, Databases = databases };

    /// <summary>A new database: customers, orders (FK), notes (blob, trigger), a view, a procedure.</summary>
    public static async Task<string> CreateShopAsync(string prefix)
    {
        var name = prefix + "_" + Guid.NewGuid().ToString("N")[..8];
        await ExecuteAsync($"""
            CREATE DATABASE {name};
            USE {name};
            CREATE TABLE customers (id INT PRIMARY KEY, name VARCHAR(100) NOT NULL, created DATETIME NOT NULL) ENGINE=InnoDB;
            INSERT INTO customers SELECT seq, CONCAT('customer ', seq), '2024-01-01' + INTERVAL seq MINUTE FROM seq_1_to_2000;
            CREATE TABLE orders (id INT PRIMARY KEY, customer_id INT NOT NULL, amount DECIMAL(10,2) NOT NULL, note TEXT,
                FOREIGN KEY (customer_id) REFERENCES customers(id)) ENGINE=InnoDB;
            INSERT INTO orders SELECT seq, 1 + seq % 2000, (seq * 37 % 10000) / 100, IF(seq % 7 = 0, NULL, REPEAT('n', seq % 30)) FROM seq_1_to_8000;
            CREATE TABLE notes (id INT AUTO_INCREMENT PRIMARY KEY, body BLOB, tag CHAR(1)) ENGINE=InnoDB;
            INSERT INTO notes (body, tag) SELECT UNHEX(SHA2(seq, 256)), 'x' FROM seq_1_to_300;
            CREATE VIEW big_orders AS SELECT id, amount FROM orders WHERE amount > 90;
            CREATE PROCEDURE order_count(OUT n INT) SELECT COUNT(*) INTO n FROM orders;
            CREATE TRIGGER notes_tag BEFORE INSERT ON notes FOR EACH ROW SET NEW.tag = COALESCE(NEW.tag, 'a');
            """);
        return name;
    }

    /// <summary>Row count and CHECKSUM TABLE of each base table of the database, by table name.</summary>
    public static async Task<Dictionary<string, string>> FingerprintAsync(string database)
    {
        var tables = await QueryAsync($"SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = '{database}' AND TABLE_TYPE = 'BASE TABLE' ORDER BY 1");
        var result = new Dictionary<string, string>();
        foreach (var table in tables)
        {
            var count = (await QueryAsync($"SELECT COUNT(*) FROM `{database}`.`{table}`"))[0];
            var checksum = (await QueryAsync($"CHECKSUM TABLE `{database}`.`{table}`"))[0].Split('\t')[1];
            result[table] = count + " rows, checksum " + checksum;
        }
        return result;
    }

    /// <summary>Views, routines and triggers of the database, as "kind name" lines.</summary>
    public static async Task<List<string>> DefinitionsAsync(string database) =>
    [
        .. (await QueryAsync($"SELECT CONCAT('view ', TABLE_NAME) FROM information_schema.VIEWS WHERE TABLE_SCHEMA = '{database}'")),
        .. (await QueryAsync($"SELECT CONCAT('routine ', ROUTINE_NAME) FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = '{database}'")),
        .. (await QueryAsync($"SELECT CONCAT('trigger ', TRIGGER_NAME) FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = '{database}'")),
    ];

    public static Task ExecuteAsync(string sql) => QueryAsync(sql);

    public static async Task<List<string>> QueryAsync(string sql)
    {
        // As root over the server's socket (unix_socket authentication): the tests' own setup, not the component's login.
        var command = new ToolCommand
        {
            Program = "mariadb",
            Arguments = ["--no-defaults", "--socket=" + Variable("CAIRN_TEST_MARIADB_SOCKET"), "--user=root", "--batch", "--skip-column-names", "--execute=" + sql],
            DebianPackage = MySqlClient.DebianPackage,
        };
        var output = await ToolRunner.RunCapturingAsync(command, CancellationToken.None);
        return [.. output.Split('\n', StringSplitOptions.RemoveEmptyEntries)];
    }

    private static string Variable(string name) => TestServerVariables.Get(name, "mariadb.sh");
}
