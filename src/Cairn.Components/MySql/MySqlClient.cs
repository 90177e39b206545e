using System.Text;
using Cairn.Components.Tools;

namespace Cairn.Components.MySql;

/// <summary>
/// Builds the command lines of the MySQL/MariaDB client tools (mysqldump, mysql) for one server and account. The
/// password goes into a 0600 option file named by <c>--defaults-extra-file</c>, never into argv; MYSQL_PWD would also
/// keep it out of <c>ps</c>, but MySQL 8 deprecates it and it loses to a password in ~/.my.cnf.
/// </summary>
internal sealed class MySqlClient : IDisposable
{
    /// <summary>The Debian package with mysqldump and mysql (MariaDB's client; it also talks to MySQL servers).</summary>
    public const string DebianPackage = "mariadb-client";

    private readonly string _host;
    private readonly int _port;
    private readonly string _user;
    private readonly string? _optionFile;

    public MySqlClient(string host, int port, string user, string? password)
    {
        _host = host;
        _port = port;
        _user = user;
        if (password is not null) _optionFile = WriteOptionFile(password);
    }

    /// <summary>A command for <paramref name="program"/> connected to the server, followed by <paramref name="arguments"/>.</summary>
    public ToolCommand Command(string program, IEnumerable<string> arguments)
    {
        var args = new List<string>();
        // The client only honours --defaults-extra-file as the very first argument.
        if (_optionFile is not null) args.Add("--defaults-extra-file=" + _optionFile);
        args.Add("--host=" + _host);
        args.Add("--port=" + _port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        args.Add("--user=" + _user);
        args.AddRange(arguments);
        return new ToolCommand { Program = program, Arguments = args, DebianPackage = DebianPackage, IsErrorLine = IsErrorLine };
    }

    /// <summary>Runs one query with the mysql client and returns its rows, tab-separated columns, without headers.</summary>
    public async Task<IReadOnlyList<string[]>> QueryAsync(string sql, CancellationToken cancellationToken)
    {
        var output = await ToolRunner.RunCapturingAsync(Command("mysql", ["--batch", "--skip-column-names", "--raw", "--execute=" + sql]), cancellationToken).ConfigureAwait(false);
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split('\t')).ToList();
    }

    /// <summary>The version line of a client tool, e.g. "mysqldump  Ver 10.19 Distrib 10.11.19-MariaDB, …".</summary>
    public static async Task<string> ToolVersionAsync(string program, CancellationToken cancellationToken)
    {
        var output = await ToolRunner.RunCapturingAsync(new ToolCommand { Program = program, Arguments = ["--version"], DebianPackage = DebianPackage }, cancellationToken).ConfigureAwait(false);
        return string.Join(' ', output.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries));
    }

    /// <summary>A backquoted identifier, as MySQL writes them.</summary>
    public static string Quote(string identifier) => "`" + identifier.Replace("`", "``", StringComparison.Ordinal) + "`";

    public void Dispose()
    {
        if (_optionFile is not null) File.Delete(_optionFile);
    }

    // MariaDB's and MySQL's clients say "ERROR 1045 (28000): …" or "mysqldump: Got error: …"; warnings ("Warning: …")
    // and notes do not make a dump incomplete.
    private static bool IsErrorLine(string line) =>
        !line.TrimStart().StartsWith("Warning", StringComparison.OrdinalIgnoreCase) && ToolCommand.DefaultIsErrorLine(line);

    private static string WriteOptionFile(string password)
    {
        var path = Path.Combine(Path.GetTempPath(), "cairn-mysql-" + Guid.NewGuid().ToString("N") + ".cnf");
        var escaped = password.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal)
            .Replace("\n", "\\n", StringComparison.Ordinal).Replace("\r", "\\r", StringComparison.Ordinal);
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using var file = new FileStream(path, options);
        file.Write(Encoding.UTF8.GetBytes("[client]\npassword=\"" + escaped + "\"\n"));
        return path;
    }
}
