using Cairn.Components.Postgres;

namespace Cairn.Tests.Components.Postgres;

public sealed class DumpSelectionTests
{
    // pg_restore --list of the test server's "app" database (PostgreSQL 15), as printed.
    private const string List = """
        ;
        ; Archive created at 2026-11-23 16:45:27 UTC
        ;     dbname: app
        ;
        7; 2615 16410 SCHEMA - hr cairn_app
        6; 2615 16409 SCHEMA - sales cairn_app
        219; 1259 16435 TABLE hr departments cairn_app
        221; 1259 16445 TABLE hr employees cairn_app
        220; 1259 16444 SEQUENCE hr employees_id_seq cairn_app
        3390; 0 0 SEQUENCE OWNED BY hr employees_id_seq cairn_app
        222; 1259 16458 TABLE public notes cairn_app
        216; 1259 16411 TABLE sales customers cairn_app
        217; 1259 16418 TABLE sales orders cairn_app
        218; 1259 16431 VIEW sales totals cairn_app
        3219; 2604 16448 DEFAULT hr employees id cairn_app
        3380; 0 16435 TABLE DATA hr departments cairn_app
        3382; 0 16445 TABLE DATA hr employees cairn_app
        3383; 0 16458 TABLE DATA public notes cairn_app
        3378; 0 16411 TABLE DATA sales customers cairn_app
        3379; 0 16418 TABLE DATA sales orders cairn_app
        3391; 0 0 SEQUENCE SET hr employees_id_seq cairn_app
        3226; 2606 16443 CONSTRAINT hr departments departments_name_key cairn_app
        3228; 2606 16441 CONSTRAINT hr departments departments_pkey cairn_app
        3230; 2606 16452 CONSTRAINT hr employees employees_pkey cairn_app
        3232; 2606 16464 CONSTRAINT public notes notes_pkey cairn_app
        3221; 2606 16417 CONSTRAINT sales customers customers_pkey cairn_app
        3224; 2606 16424 CONSTRAINT sales orders orders_pkey cairn_app
        3222; 1259 16430 INDEX sales orders_customer cairn_app
        3234; 2606 16453 FK CONSTRAINT hr employees employees_department_id_fkey cairn_app
        3233; 2606 16425 FK CONSTRAINT sales orders orders_customer_id_fkey cairn_app
        3300; 0 0 ACL - SCHEMA sales cairn_app
        3301; 0 0 COMMENT sales TABLE orders cairn_app
        3302; 0 0 ACL sales TABLE customers cairn_app
        """;

    // The parts of pg_restore --schema-only that say which table an index, sequence or foreign key belongs to.
    private const string SchemaSql = """"
        ALTER SEQUENCE hr.employees_id_seq OWNED BY hr.employees.id;
        CREATE INDEX orders_customer ON sales.orders USING btree (customer_id);
        ALTER TABLE ONLY hr.employees
            ADD CONSTRAINT employees_department_id_fkey FOREIGN KEY (department_id) REFERENCES hr.departments(id);
        ALTER TABLE ONLY sales.orders
            ADD CONSTRAINT orders_customer_id_fkey FOREIGN KEY (customer_id) REFERENCES sales.customers(id);
        ALTER TABLE "Odd Schema"."Big ""T""" ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
            SEQUENCE NAME "Odd Schema"."Big ""T""_id_seq"
        """";

    private static IReadOnlyList<TocEntry> Toc => TocEntry.ParseList(List.Split('\n'));

    private static string[] Lines(IEnumerable<TocEntry> entries) => [.. entries.Select(e => e.Line)];

    [Fact]
    public void Parsing_the_list_reads_multi_word_kinds_schemas_and_tags()
    {
        var toc = Toc;
        Assert.Equal(29, toc.Count);
        Assert.Contains(toc, e => e is { Kind: "TABLE DATA", Schema: "sales", Tag: "customers" });
        Assert.Contains(toc, e => e is { Kind: "FK CONSTRAINT", Schema: "sales", Tag: "orders orders_customer_id_fkey" });
        Assert.Contains(toc, e => e is { Kind: "SEQUENCE OWNED BY", Schema: "hr", Tag: "employees_id_seq" });
        Assert.Contains(toc, e => e is { Kind: "ACL", Schema: "-", Tag: "SCHEMA sales" });
        Assert.Equal("216; 1259 16411 TABLE sales customers cairn_app", toc.Single(e => e is { Kind: "TABLE", Tag: "customers" }).Line);
    }

    [Fact]
    public void A_schema_brings_itself_its_objects_and_its_grants_but_nothing_of_other_schemas()
    {
        var selected = DumpSelection.Schema(Toc, "sales");
        Assert.Contains(selected, e => e is { Kind: "SCHEMA", Tag: "sales" });
        Assert.Contains(selected, e => e is { Kind: "ACL", Tag: "SCHEMA sales" });
        Assert.Contains(selected, e => e is { Kind: "VIEW", Tag: "totals" });
        Assert.Contains(selected, e => e is { Kind: "INDEX", Tag: "orders_customer" });
        Assert.All(selected, e => Assert.True(e.Schema == "sales" || e.Tag.EndsWith("sales", StringComparison.Ordinal), e.Line));
        Assert.Equal(13, selected.Count);
    }

    [Fact]
    public void A_table_brings_its_data_constraints_indexes_grants_and_the_foreign_keys_that_point_at_it()
    {
        Assert.Equal(
            [
                "216; 1259 16411 TABLE sales customers cairn_app",
                "3378; 0 16411 TABLE DATA sales customers cairn_app",
                "3221; 2606 16417 CONSTRAINT sales customers customers_pkey cairn_app",
                "3233; 2606 16425 FK CONSTRAINT sales orders orders_customer_id_fkey cairn_app",
                "3302; 0 0 ACL sales TABLE customers cairn_app",
            ],
            Lines(DumpSelection.Table(Toc, SchemaSql, "sales", "customers")));
        Assert.Equal(
            [
                "217; 1259 16418 TABLE sales orders cairn_app",
                "3379; 0 16418 TABLE DATA sales orders cairn_app",
                "3224; 2606 16424 CONSTRAINT sales orders orders_pkey cairn_app",
                "3222; 1259 16430 INDEX sales orders_customer cairn_app",
                "3233; 2606 16425 FK CONSTRAINT sales orders orders_customer_id_fkey cairn_app",
                "3301; 0 0 COMMENT sales TABLE orders cairn_app",
            ],
            Lines(DumpSelection.Table(Toc, SchemaSql, "sales", "orders")));
    }

    [Fact]
    public void A_table_brings_the_sequence_of_its_serial_column_and_its_default()
    {
        var selected = DumpSelection.Table(Toc, SchemaSql, "hr", "employees");
        Assert.Equal(
            ["TABLE employees", "SEQUENCE employees_id_seq", "SEQUENCE OWNED BY employees_id_seq", "DEFAULT employees id",
             "TABLE DATA employees", "SEQUENCE SET employees_id_seq", "CONSTRAINT employees employees_pkey",
             "FK CONSTRAINT employees employees_department_id_fkey"],
            selected.Select(e => e.Kind + " " + e.Tag).ToArray());
        Assert.Empty(DumpSelection.Table(Toc, SchemaSql, "hr", "nosuch"));
    }

    [Fact]
    public void Quoted_identifiers_in_the_sql_are_unquoted_before_they_are_compared()
    {
        // The list prints names raw; the SQL quotes them. An identity column's sequence must be found all the same.
        TocEntry[] toc =
        [
            new("10; 1259 1 TABLE", "TABLE", "Odd Schema", "Big \"T\""),
            new("11; 1259 2 SEQUENCE", "SEQUENCE", "Odd Schema", "Big \"T\"_id_seq"),
            new("12; 1259 3 SEQUENCE", "SEQUENCE", "Odd Schema", "other_seq"),
        ];
        Assert.Equal(["10; 1259 1 TABLE", "11; 1259 2 SEQUENCE"], Lines(DumpSelection.Table(toc, SchemaSql, "Odd Schema", "Big \"T\"")));
    }
}
