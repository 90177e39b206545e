using System.Globalization;
using Cairn.Components;

namespace Cairn.Orchestration.Config;

/// <summary>
/// Binds YAML nodes to config records by reflection (<see cref="ConfigShape"/>), interpolating <c>${VAR}</c> in every
/// scalar, reading <c>*_file</c> secrets, and recording every problem instead of stopping at the first. A value with a
/// problem binds as null, so one mistake does not hide the others.
/// </summary>
internal sealed class ConfigBinder(string file, IReadOnlyDictionary<string, string?> variables, IReadOnlyList<ComponentType> types, List<ConfigProblem> problems)
{
    private static readonly IReadOnlyDictionary<string, object?> s_noPresets = new Dictionary<string, object?>();

    public void Problem(ConfigNode at, string message) => problems.Add(new ConfigProblem(file, at.Line, at.Column, message));

    /// <summary>
    /// Binds <paramref name="node"/> (a mapping) to a record of <paramref name="type"/>. <paramref name="presets"/> sets
    /// properties from context (a name from its key) and keeps their keys out of the file; <paramref name="skipKeys"/> are
    /// keys the caller handled. <paramref name="noun"/> names the record's keys in "missing required …".
    /// </summary>
    public object? BindRecord(Type type, ConfigNode node, string path, IReadOnlyDictionary<string, object?>? presets = null,
        IReadOnlyCollection<string>? skipKeys = null, string noun = "key")
    {
        presets ??= s_noPresets;
        if (node is ConfigScalar { IsNull: true } empty) node = new ConfigMapping([], empty.Line, empty.Column);
        if (node is not ConfigMapping mapping)
        {
            Problem(node, $"{Where(path)}expected a mapping of keys, got {Describe(node)}");
            return null;
        }
        var shape = ConfigShape.For(type);
        var values = new Dictionary<ConfigProperty, object?>();
        var given = new HashSet<ConfigProperty>();
        bool failed = false;
        foreach (var (preset, value) in presets)
            values[shape.Properties.Single(p => p.Property.Name == preset)] = value;
        foreach (var (key, valueNode) in mapping.Entries)
        {
            if (skipKeys?.Contains(key.Value) == true) continue;
            var property = shape.Properties.FirstOrDefault(p => p.Key == key.Value && !presets.ContainsKey(p.Property.Name));
            bool fromFile = false;
            if (property is null)
            {
                property = shape.Properties.FirstOrDefault(p => p.Secret && p.FileKey == key.Value && !presets.ContainsKey(p.Property.Name));
                fromFile = property is not null;
            }
            if (property is null)
            {
                var known = shape.Properties.Where(p => !presets.ContainsKey(p.Property.Name))
                    .SelectMany(p => p.Secret ? new[] { p.Key, p.FileKey } : [p.Key]).Concat(skipKeys ?? []).ToList();
                var hint = Suggestions.DidYouMean(key.Value, known);
                Problem(key, $"unknown key '{key.Value}' {In(path)}" + (hint.Length > 0 ? ";" + hint : $" (known keys: {string.Join(", ", known)})"));
                continue;
            }
            if (!given.Add(property))
            {
                Problem(key, $"{Where(path)}give either '{property.Key}' or '{property.FileKey}', not both");
                continue;
            }
            var childPath = Join(path, property.Key);
            var bound = fromFile ? ReadSecretFile(valueNode, Join(path, property.FileKey)) : BindValue(property.Property.PropertyType, property.Nullable, valueNode, childPath);
            if (bound is null && !IsNullValue(valueNode)) failed = true;
            values[property] = bound;
        }
        foreach (var property in shape.Properties.Where(p => p.Required && !given.Contains(p) && !presets.ContainsKey(p.Property.Name)))
        {
            Problem(mapping, $"{Where(path)}missing required {noun} '{property.Key}'" + (property.Secret ? $" (or '{property.FileKey}')" : ""));
            failed = true;
        }
        return failed ? null : shape.Create(values);
    }

    /// <summary>Binds any supported value type; null after a problem (or for a YAML null where null is allowed).</summary>
    public object? BindValue(Type type, bool nullable, ConfigNode node, string path)
    {
        var underlying = Nullable.GetUnderlyingType(type);
        if (underlying is not null)
        {
            nullable = true;
            type = underlying;
        }
        if (IsNullValue(node))
        {
            // An empty "tags:" means no tags.
            if (ConfigShape.ListElement(type) is { } itemType) return MakeList(type, itemType, []);
            if (ConfigShape.DictionaryValue(type) is not null) return EmptyDictionary(type);
            if (!nullable) Problem(node, $"{Where(path)}needs a value");
            return null;
        }
        if (type == typeof(ComponentDefinition)) return BindComponent(node, path);
        if (ConfigShape.ListElement(type) is { } element)
        {
            if (node is ConfigMapping named && ConfigShape.IsNamed(element)) return MakeList(type, element, BindNamed(element, named, path).Values);
            if (node is not ConfigSequence sequence)
            {
                Problem(node, $"{Where(path)}expected a list, got {Describe(node)}");
                return null;
            }
            var items = new List<object?>();
            bool failed = false;
            for (int i = 0; i < sequence.Items.Count; i++)
            {
                var item = BindValue(element, false, sequence.Items[i], $"{path}[{i}]");
                failed |= item is null;
                items.Add(item);
            }
            return failed ? null : MakeList(type, element, items);
        }
        if (ConfigShape.DictionaryValue(type) is { } valueType)
        {
            if (node is not ConfigMapping mapping)
            {
                Problem(node, $"{Where(path)}expected a mapping, got {Describe(node)}");
                return null;
            }
            var bound = ConfigShape.IsNamed(valueType) ? BindNamed(valueType, mapping, path) : mapping.Entries.ToDictionary(e => e.Key.Value, e => BindValue(valueType, false, e.Value, Join(path, e.Key.Value)));
            if (bound.Values.Any(v => v is null)) return null;
            var dictionary = (System.Collections.IDictionary)Activator.CreateInstance(typeof(Dictionary<,>).MakeGenericType(typeof(string), valueType))!;
            foreach (var (k, v) in bound) dictionary[k] = v;
            return dictionary;
        }
        if (ConfigShape.IsRecord(type)) return BindRecord(type, node, path);
        if (node is not ConfigScalar scalar)
        {
            Problem(node, $"{Where(path)}expected {ScalarNoun(type)}, got {Describe(node)}");
            return null;
        }
        var text = Interpolation.Apply(scalar, variables, file, problems);
        return text is null ? null : ParseScalar(type, text, scalar, path);
    }

    private object? ParseScalar(Type type, string text, ConfigScalar at, string path)
    {
        object? value = null;
        if (type == typeof(string)) value = text;
        else if (type == typeof(bool)) value = text.ToLowerInvariant() switch { "true" => true, "false" => false, _ => null };
        else if (type == typeof(int) && int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var i)) value = i;
        else if (type == typeof(long) && long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l)) value = l;
        else if (type == typeof(double) && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d)) value = d;
        else if (type == typeof(TimeSpan) && DurationText.TryParse(text, out var span)) value = span;
        else if (type.IsEnum) value = ParseEnum(type, text);
        else if (!(type == typeof(int) || type == typeof(long) || type == typeof(double) || type == typeof(TimeSpan)))
            throw new InvalidOperationException($"config binding does not support properties of type {type.Name} ({path})");
        if (value is null) Problem(at, $"{Where(path)}expected {ScalarNoun(type)}, got '{text}'");
        return value;
    }

    private static object? ParseEnum(Type type, string text) =>
        Enum.GetNames(type).FirstOrDefault(n => EnumKey(n) == text.ToLowerInvariant() || n.Equals(text, StringComparison.OrdinalIgnoreCase)) is { } name
            ? Enum.Parse(type, name) : null;

    /// <summary>The YAML spelling of an enum member: DirectoryFormat → directory_format, Custom → custom.</summary>
    public static string EnumKey(string member) => ConfigShape.SnakeCase(member);

    public static string ScalarNoun(Type type) => type switch
    {
        _ when type == typeof(string) => "a string",
        _ when type == typeof(bool) => "true or false",
        _ when type == typeof(int) || type == typeof(long) => "a number",
        _ when type == typeof(double) => "a number",
        _ when type == typeof(TimeSpan) => "a duration such as 30s, 5m, 2h or 1d",
        _ when type.IsEnum => "one of: " + string.Join(", ", Enum.GetNames(type).Select(EnumKey)),
        _ => type.Name,
    };

    /// <summary>Binds a mapping whose keys name records (targets, jobs): each record's Name is its key.</summary>
    private Dictionary<string, object?> BindNamed(Type recordType, ConfigMapping mapping, string path)
    {
        var result = new Dictionary<string, object?>();
        foreach (var (key, value) in mapping.Entries)
        {
            if (key.Value.Length == 0) Problem(key, $"{Where(path)}a name cannot be empty");
            result[key.Value] = BindRecord(recordType, value, Join(path, key.Value), new Dictionary<string, object?> { ["Name"] = key.Value });
        }
        return result;
    }

    private object? BindComponent(ConfigNode node, string path)
    {
        if (node is not ConfigMapping mapping)
        {
            Problem(node, $"{Where(path)}expected a component (a mapping with name, type and its options), got {Describe(node)}");
            return null;
        }
        var name = mapping.Get("name") is { } nameNode ? BindValue(typeof(string), false, nameNode, Join(path, "name")) as string : null;
        if (mapping.Get("name") is null) Problem(mapping, $"{Where(path)}missing required key 'name'");
        else if (name is not null && NameRules.Check(name) is { } nameProblem) Problem(mapping.Get("name")!, $"{Where(path)}component name '{name}' {nameProblem}");
        var componentPath = name is null ? path : $"{path[..path.LastIndexOf('[')]}.{name}";
        var known = string.Join(", ", types.Select(t => t.Name));
        ComponentType? type = null;
        if (mapping.Get("type") is not { } typeNode)
        {
            Problem(mapping, $"{Where(componentPath)}missing required key 'type'" + (types.Count > 0 ? $" (one of: {known})" : ""));
        }
        else if (BindValue(typeof(string), false, typeNode, Join(componentPath, "type")) is string typeName)
        {
            type = types.FirstOrDefault(t => t.Name == typeName);
            if (type is null)
            {
                var hint = Suggestions.DidYouMean(typeName, types.Select(t => t.Name));
                Problem(typeNode, $"unknown component type '{typeName}';" + (hint.Length > 0 ? hint : types.Count > 0 ? $" known types: {known}" : " this build knows no component types"));
            }
        }
        if (type is null) return null;
        var options = BindRecord(type.OptionsType, mapping, componentPath, skipKeys: ["name", "type"], noun: "option") as ComponentOptions;
        return name is null || options is null ? null : new ComponentDefinition(name, type, options);
    }

    private string? ReadSecretFile(ConfigNode node, string path)
    {
        if (BindValue(typeof(string), false, node, path) is not string name) return null;
        var full = Path.IsPathRooted(name) ? name : Path.GetFullPath(name, Path.GetDirectoryName(Path.GetFullPath(file)) ?? ".");
        try
        {
            using var reader = new StreamReader(full);
            var line = reader.ReadLine() ?? "";
            return line;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Problem(node, $"{Where(path)}cannot read '{full}': {e.Message}");
            return null;
        }
    }

    private static bool IsNullValue(ConfigNode node) => node is ConfigScalar { IsNull: true };

    private static object MakeList(Type listType, Type element, IEnumerable<object?> items)
    {
        var list = (System.Collections.IList)Activator.CreateInstance(typeof(List<>).MakeGenericType(element))!;
        foreach (var item in items) list.Add(item);
        if (!listType.IsArray) return list;
        var array = Array.CreateInstance(element, list.Count);
        list.CopyTo(array, 0);
        return array;
    }

    private static object EmptyDictionary(Type type) =>
        Activator.CreateInstance(typeof(Dictionary<,>).MakeGenericType(typeof(string), ConfigShape.DictionaryValue(type)!))!;

    private static string Describe(ConfigNode node) => node is ConfigScalar scalar ? $"'{scalar.Value}'" : node.KindName;

    private static string Join(string path, string key) => path.Length == 0 ? key : path + "." + key;

    private static string Where(string path) => path.Length == 0 ? "" : path + ": ";

    private static string In(string path) => path.Length == 0 ? "at the top level" : "in " + path;
}
