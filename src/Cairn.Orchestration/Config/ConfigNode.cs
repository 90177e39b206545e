using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Cairn.Orchestration.Config;

/// <summary>
/// A YAML node with the position it came from. The loader copies YamlDotNet's representation model into these so that
/// environment overrides can be merged into a new tree while every value keeps its own file, line and column.
/// </summary>
internal abstract record ConfigNode(int Line, int Column)
{
    /// <summary>What a user would call this kind of node, for "expected a list, got a mapping".</summary>
    public abstract string KindName { get; }
}

/// <summary>A scalar: its text, and whether it was written plain (so <c>~</c>/<c>null</c>/empty mean no value).</summary>
internal sealed record ConfigScalar(string Value, bool Plain, int Line, int Column) : ConfigNode(Line, Column)
{
    public override string KindName => IsNull ? "null" : "a scalar";

    /// <summary>YAML's null: an empty plain scalar, <c>~</c> or <c>null</c>.</summary>
    public bool IsNull => Plain && Value is "" or "~" or "null" or "Null" or "NULL";
}

/// <summary>A list.</summary>
internal sealed record ConfigSequence(IReadOnlyList<ConfigNode> Items, int Line, int Column) : ConfigNode(Line, Column)
{
    public override string KindName => "a list";
}

/// <summary>A mapping, in file order; keys are scalars (with their own positions, for "unknown key" messages).</summary>
internal sealed record ConfigMapping(IReadOnlyList<KeyValuePair<ConfigScalar, ConfigNode>> Entries, int Line, int Column) : ConfigNode(Line, Column)
{
    public override string KindName => "a mapping";

    public ConfigNode? Get(string key) => Entries.FirstOrDefault(e => e.Key.Value == key).Value;

    public ConfigMapping Without(params string[] keys) => this with { Entries = [.. Entries.Where(e => !keys.Contains(e.Key.Value))] };
}

/// <summary>Copies a parsed YAML document into <see cref="ConfigNode"/>s, applying merge keys (<c>&lt;&lt;: *defaults</c>).</summary>
internal static class ConfigNodeReader
{
    /// <summary>Parses <paramref name="text"/>; a syntax error becomes a problem at its position.</summary>
    public static ConfigNode? Parse(string text, string file, List<ConfigProblem> problems)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlException e)
        {
            var message = (e.InnerException as YamlException)?.Message ?? e.Message;
            problems.Add(new ConfigProblem(file, (int)e.Start.Line, (int)e.Start.Column, "YAML syntax: " + Clean(message)));
            return null;
        }
        catch (InvalidOperationException)
        {
            // YamlDotNet's scanner fails this way, with no position, when the text ends inside a flow collection.
            var lines = text.TrimEnd().Split('\n');
            problems.Add(new ConfigProblem(file, lines.Length, lines[^1].Length + 1, "YAML syntax: the file ends early: is a '{', '[' or quote not closed?"));
            return null;
        }
        if (stream.Documents.Count == 0) return null;
        if (stream.Documents.Count > 1)
        {
            var second = stream.Documents[1].RootNode.Start;
            problems.Add(new ConfigProblem(file, (int)second.Line, (int)second.Column, "the file holds more than one YAML document ('---'); write one"));
        }
        return Convert(stream.Documents[0].RootNode, file, problems);
    }

    // YamlDotNet prefixes messages with "(Line: 3, Col: 5, Idx: …) - (…): "; the position is already in front of ours.
    private static string Clean(string message)
    {
        int at = message.LastIndexOf("): ", StringComparison.Ordinal);
        return at >= 0 && message.StartsWith('(') ? message[(at + 3)..] : message;
    }

    private static ConfigNode Convert(YamlNode node, string file, List<ConfigProblem> problems)
    {
        int line = (int)node.Start.Line, column = (int)node.Start.Column;
        switch (node)
        {
            case YamlScalarNode scalar:
                return new ConfigScalar(scalar.Value ?? "", scalar.Style is ScalarStyle.Plain or ScalarStyle.Any, line, column);
            case YamlSequenceNode sequence:
                return new ConfigSequence([.. sequence.Children.Select(c => Convert(c, file, problems))], line, column);
            case YamlMappingNode mapping:
                var entries = new List<KeyValuePair<ConfigScalar, ConfigNode>>();
                var merged = new List<KeyValuePair<ConfigScalar, ConfigNode>>();
                foreach (var (key, value) in mapping.Children)
                {
                    if (key is not YamlScalarNode keyScalar)
                    {
                        problems.Add(new ConfigProblem(file, (int)key.Start.Line, (int)key.Start.Column, "a key must be a plain word, not a list or mapping"));
                        continue;
                    }
                    var keyNode = new ConfigScalar(keyScalar.Value ?? "", true, (int)key.Start.Line, (int)key.Start.Column);
                    if (keyNode.Value == "<<" && keyScalar.Style is ScalarStyle.Plain or ScalarStyle.Any)
                    {
                        AddMergeKey(Convert(value, file, problems), merged, file, problems);
                        continue;
                    }
                    entries.Add(new(keyNode, Convert(value, file, problems)));
                }
                // Explicit keys win over merged ones, as YAML's merge key specifies.
                entries.AddRange(merged.Where(m => !entries.Any(e => e.Key.Value == m.Key.Value)));
                return new ConfigMapping(entries, line, column);
            default:
                problems.Add(new ConfigProblem(file, line, column, "unsupported YAML node"));
                return new ConfigScalar("", true, line, column);
        }
    }

    private static void AddMergeKey(ConfigNode source, List<KeyValuePair<ConfigScalar, ConfigNode>> merged, string file, List<ConfigProblem> problems)
    {
        var sources = source is ConfigSequence list ? list.Items : [source];
        foreach (var item in sources)
        {
            if (item is not ConfigMapping mapping)
            {
                problems.Add(new ConfigProblem(file, item.Line, item.Column, "'<<' merges a mapping (or a list of mappings), such as an alias '*defaults'"));
                continue;
            }
            // The first mapping that names a key wins.
            merged.AddRange(mapping.Entries.Where(e => !merged.Any(m => m.Key.Value == e.Key.Value)));
        }
    }
}
