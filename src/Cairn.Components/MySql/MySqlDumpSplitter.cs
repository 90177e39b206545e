using System.Text;
using Cairn.Components.Tools;

namespace Cairn.Components.MySql;

/// <summary>
/// Splits one mysqldump output, as it arrives, into the parts of <see cref="MySqlDumpLayout"/>: each part is a stream
/// that ends where the next section comment ("--" / "-- Table structure for table `t`" / "--") begins. The caller
/// stores each part before asking for the next, so nothing is staged: one line at a time is in memory.
/// </summary>
internal sealed class MySqlDumpSplitter(Stream dump)
{
    private const string FooterStart = "/*!40103 SET TIME_ZONE=@OLD_TIME_ZONE */;";
    private readonly LineReader _lines = new(dump);
    private readonly Dictionary<string, int> _uses = new(StringComparer.Ordinal);
    private readonly List<string> _databases = [];
    private readonly List<string> _objects = [];
    private string? _database;
    private string? _nextPath = MySqlDumpLayout.Header;
    private Part? _current;

    /// <summary>Whether the dump ended with mysqldump's "-- Dump completed" line (a truncated dump does not).</summary>
    public bool Completed { get; private set; }

    /// <summary>The databases the dump holds, in dump order.</summary>
    public IReadOnlyList<string> Databases => _databases;

    /// <summary>Its tables and views as "db.name", in dump order.</summary>
    public IReadOnlyList<string> Objects => _objects;

    /// <summary>The next part (its path and content), or null after the last; the previous part must have been read to its end.</summary>
    public (string Path, Stream Content)? NextPart()
    {
        if (_current is { Ended: false }) throw new InvalidOperationException("The previous part of the dump was not read to its end.");
        if (_nextPath is not { } basePath) return null;
        _nextPath = null;
        var n = _uses[basePath] = _uses.GetValueOrDefault(basePath) + 1;
        _current = new Part(this, basePath);
        return (MySqlDumpLayout.Numbered(basePath, n), _current);
    }

    // Copies the next bytes of the part, ending it (0) where a section that belongs to another part begins.
    private async ValueTask<int> ReadAsync(Part part, Memory<byte> buffer, CancellationToken ct)
    {
        while (part.Pending.Length == 0)
        {
            if (part.Ended) return 0;
            if (await _lines.PeekAsync(0, ct).ConfigureAwait(false) is not { } line)
            {
                part.Ended = true;
                return 0;
            }
            if (await StartsOtherPartAsync(part.BasePath, line, ct).ConfigureAwait(false) is { } next)
            {
                _nextPath = next;
                part.Ended = true;
                return 0;
            }
            await _lines.NextAsync(ct).ConfigureAwait(false);
            if (part.BasePath == MySqlDumpLayout.Footer && Text(line).StartsWith("-- Dump completed", StringComparison.Ordinal)) Completed = true;
            part.Pending = line;
        }
        var count = Math.Min(buffer.Length, part.Pending.Length);
        part.Pending[..count].CopyTo(buffer);
        part.Pending = part.Pending[count..];
        return count;
    }

    // The path of the part the line at the head of the input begins, when that is not the current part.
    private async ValueTask<string?> StartsOtherPartAsync(string current, byte[] line, CancellationToken ct)
    {
        if (line.Length < 2 || line[0] != '-' || line[1] != '-')
        {
            return current != MySqlDumpLayout.Footer && line[0] == '/' && Text(line) == FooterStart ? MySqlDumpLayout.Footer : null;
        }
        if (Text(line) != "--" || current == MySqlDumpLayout.Footer) return null;
        if (await _lines.PeekAsync(1, ct).ConfigureAwait(false) is not { } titleLine || await _lines.PeekAsync(2, ct).ConfigureAwait(false) is not { } closing) return null;
        var title = Text(titleLine);
        if (!title.StartsWith("-- ", StringComparison.Ordinal) || Text(closing) != "--") return null;
        title = title[3..];

        string path;
        if (MySqlDumpLayout.CurrentDatabase(title) is { } database)
        {
            _database = database;
            if (!_databases.Contains(database)) _databases.Add(database);
            path = MySqlDumpLayout.DatabaseStatementPath(database);
        }
        else
        {
            path = MySqlDumpLayout.PathOfSection(title, _database);
        }
        if (path == current) return null;
        if (_database is not null && (path.Contains("/tables/", StringComparison.Ordinal) || path.Contains("/views/", StringComparison.Ordinal)))
        {
            var name = MySqlDumpLayout.Decode(path[(path.LastIndexOf('/') + 1)..^4].Replace(".stub", "", StringComparison.Ordinal));
            var item = _database + "." + name;
            if (!_objects.Contains(item)) _objects.Add(item);
        }
        return path;
    }

    private static string Text(byte[] line) => Encoding.UTF8.GetString(line).TrimEnd('\n', '\r');

    /// <summary>One part of the dump, read through the splitter.</summary>
    private sealed class Part(MySqlDumpSplitter splitter, string basePath) : ProducedStream
    {
        public string BasePath { get; } = basePath;
        public bool Ended { get; set; }
        public ReadOnlyMemory<byte> Pending { get; set; }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            splitter.ReadAsync(this, buffer, cancellationToken);
    }
}
