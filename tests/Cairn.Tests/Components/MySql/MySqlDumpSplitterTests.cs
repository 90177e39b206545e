using System.Text;
using Cairn.Components.MySql;
using Cairn.Components.Tools;

namespace Cairn.Tests.Components.MySql;

public sealed class MySqlDumpSplitterTests
{
    // The shape of a MariaDB 10.11 mysqldump --databases run (two databases, a view, a routine), shortened.
    private const string Dump = """
        /*M!999999\- enable the sandbox mode */
        -- MariaDB dump 10.19  Distrib 10.11.19-MariaDB, for debian-linux-gnu (x86_64)
        --
        -- Host: 127.0.0.1    Database: shop
        -- ------------------------------------------------------
        /*!40101 SET NAMES utf8mb4 */;
        /*!40103 SET TIME_ZONE='+00:00' */;

        --
        -- Current Database: `shop`
        --

        CREATE DATABASE /*!32312 IF NOT EXISTS*/ `shop` /*!40100 DEFAULT CHARACTER SET utf8mb4 */;

        USE `shop`;

        --
        -- Temporary table structure for view `v`
        --

        /*!50001 CREATE VIEW `v` AS SELECT 1 AS `id` */;

        --
        -- Table structure for table `odd/na``me`
        --

        CREATE TABLE `odd/na``me` (`id` int);

        --
        -- Dumping data for table `odd/na``me`
        --

        INSERT INTO `odd/na``me` VALUES
        (1),
        (2);

        --
        -- Table structure for table `t`
        --

        CREATE TABLE `t` (`id` int);

        --
        -- Dumping routines for database 'shop'
        --
        CREATE PROCEDURE p() SELECT 1;

        --
        -- Current Database: `other`
        --

        CREATE DATABASE `other`;

        --
        -- Current Database: `shop`
        --

        USE `shop`;

        --
        -- Final view structure for view `v`
        --

        /*!50001 VIEW `v` AS select `t`.`id` AS `id` from `t` */;
        /*!40103 SET TIME_ZONE=@OLD_TIME_ZONE */;

        -- Dump completed

        """;

    [Fact]
    public async Task Splits_at_section_comments_into_parts_that_add_up_to_the_dump()
    {
        var parts = await SplitAsync(Dump);

        Assert.Equal(
        [
            "header.sql",
            "databases/shop/database.sql",
            "databases/shop/views/v.stub.sql",
            "databases/shop/tables/odd%2Fna%60me.sql",
            "databases/shop/tables/t.sql",
            "databases/shop/routines.sql",
            "databases/other/database.sql",
            "databases/shop/database.2.sql",
            "databases/shop/views/v.sql",
            "footer.sql",
        ], parts.Select(p => p.Path));
        Assert.Equal(Dump, string.Concat(parts.Select(p => p.Text)));
        var table = parts.Single(p => p.Path.EndsWith("odd%2Fna%60me.sql", StringComparison.Ordinal)).Text;
        Assert.StartsWith("--\n-- Table structure for table `odd/na``me`", table, StringComparison.Ordinal);
        Assert.Contains("(2);", table, StringComparison.Ordinal);
        Assert.StartsWith("/*!40103 SET TIME_ZONE=@OLD_TIME_ZONE */;", parts[^1].Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Reports_databases_tables_and_views_and_completion()
    {
        var splitter = new MySqlDumpSplitter(new MemoryStream(Encoding.UTF8.GetBytes(Dump)));
        await DrainAsync(splitter);

        Assert.True(splitter.Completed);
        Assert.Equal(["shop", "other"], splitter.Databases);
        Assert.Equal(["shop.v", "shop.odd/na`me", "shop.t"], splitter.Objects);
    }

    [Fact]
    public async Task A_dump_cut_short_is_not_completed()
    {
        var cut = Dump[..Dump.IndexOf("-- Dump completed", StringComparison.Ordinal)];
        var splitter = new MySqlDumpSplitter(new MemoryStream(Encoding.UTF8.GetBytes(cut)));
        await DrainAsync(splitter);

        Assert.False(splitter.Completed);
    }

    [Fact]
    public async Task Lines_longer_than_the_read_buffer_stay_whole_and_in_their_part()
    {
        var longRow = "(" + new string('x', 300_000) + ")";
        var dump = Dump.Replace("(2);", longRow + ";", StringComparison.Ordinal);

        var parts = await SplitAsync(dump);

        Assert.Equal(dump, string.Concat(parts.Select(p => p.Text)));
        Assert.Contains(longRow, parts.Single(p => p.Path.EndsWith("odd%2Fna%60me.sql", StringComparison.Ordinal)).Text, StringComparison.Ordinal);
    }

    [Fact]
    public void Names_encode_to_one_safe_segment_and_decode_back()
    {
        foreach (var name in new[] { "plain_name$1", "..", "a/b", "100%", "naïve table", "x.stub" })
        {
            var encoded = MySqlDumpLayout.Encode(name);
            Assert.DoesNotContain('/', encoded);
            Assert.DoesNotContain('.', encoded);
            Assert.Equal(name, MySqlDumpLayout.Decode(encoded));
        }
    }

    [Fact]
    public void Restore_order_puts_tables_before_routines_and_views_and_leaves_out_the_use_statements()
    {
        Assert.True(MySqlDumpLayout.RestoreRank("views/v.stub.sql") < MySqlDumpLayout.RestoreRank("tables/t.sql"));
        Assert.True(MySqlDumpLayout.RestoreRank("tables/t.sql") < MySqlDumpLayout.RestoreRank("routines.sql"));
        Assert.True(MySqlDumpLayout.RestoreRank("routines.sql") < MySqlDumpLayout.RestoreRank("views/v.sql"));
        Assert.True(MySqlDumpLayout.RestoreRank("database.2.sql") < 0);
    }

    internal static async Task<List<(string Path, string Text)>> SplitAsync(string dump)
    {
        var splitter = new MySqlDumpSplitter(new MemoryStream(Encoding.UTF8.GetBytes(dump)));
        return await DrainAsync(splitter);
    }

    internal static async Task<List<(string Path, string Text)>> DrainAsync(MySqlDumpSplitter splitter)
    {
        var parts = new List<(string, string)>();
        while (splitter.NextPart() is { } part)
        {
            using var copy = new MemoryStream();
            // Small reads, as a chunker might make them.
            var buffer = new byte[1000];
            int n;
            while ((n = await part.Content.ReadAsync(buffer)) > 0) copy.Write(buffer, 0, n);
            parts.Add((part.Path, Encoding.UTF8.GetString(copy.ToArray())));
        }
        return parts;
    }
}
