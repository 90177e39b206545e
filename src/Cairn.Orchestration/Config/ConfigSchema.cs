using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Cairn.Components;

namespace Cairn.Orchestration.Config;

/// <summary>
/// The JSON Schema (draft 2020-12) of <c>cairn.yaml</c>, generated from the same records and <see cref="ConfigShape"/>
/// the loader binds, so editors complete and check exactly what the loader accepts. Each component type's options
/// apply through an <c>if type = X then …</c> branch. Published as docs/cairn.schema.json and by <c>cairn config schema</c>.
/// </summary>
public static class ConfigSchema
{
    private const string Interpolated = "#/$defs/interpolated";

    private static readonly JsonSerializerOptions s_json = new() { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The schema as indented JSON text ending in a newline, for <paramref name="types"/> (default: the catalog).</summary>
    public static string Generate(IReadOnlyList<ComponentType>? types = null) =>
        Build(types ?? ComponentCatalog.All).ToJsonString(s_json).ReplaceLineEndings("\n") + "\n";

    private static JsonObject Build(IReadOnlyList<ComponentType> types)
    {
        var walker = new Walker(types);
        var root = walker.Record(typeof(CairnConfig), partial: false, hidden: [nameof(CairnConfig.SourcePath), nameof(CairnConfig.Environment)]);
        var properties = (JsonObject)root["properties"]!;
        properties["environment"] = Described(new JsonObject { ["type"] = "string" },
            "The environment this file describes by default (dev, test, prod…), recorded in each snapshot; --environment or $CAIRN_ENVIRONMENT selects another.");
        var overrides = walker.Record(typeof(CairnConfig), partial: true, hidden: [nameof(CairnConfig.SourcePath), nameof(CairnConfig.Environment)]);
        overrides["description"] = "Overrides for one environment, deep-merged over the rest of the file: mappings merge key by key, components merge by name, other values replace.";
        properties["environments"] = Described(new JsonObject { ["type"] = "object", ["additionalProperties"] = new JsonObject { ["$ref"] = "#/$defs/overrides" } },
            "Per-environment overrides, by environment name.");
        var defs = new JsonObject
        {
            ["interpolated"] = new JsonObject
            {
                ["description"] = "A value from an environment variable: ${VAR} or ${VAR:-default}.",
                ["type"] = "string",
                ["pattern"] = @"^\$\{[A-Za-z_][A-Za-z0-9_]*(:-[^}]*)?\}$",
            },
            ["overrides"] = overrides,
            ["component"] = walker.Component(),
            ["component_override"] = new JsonObject
            {
                ["description"] = "A component's overrides, merged into the component of the same name (or a new component).",
                ["type"] = "object",
                ["properties"] = new JsonObject { ["name"] = Name() },
                ["required"] = new JsonArray("name"),
            },
        };
        foreach (var type in types) defs["component_" + type.Name] = walker.Options(type);
        var schema = new JsonObject
        {
            ["$schema"] = "https://json-schema.org/draft/2020-12/schema",
            ["title"] = "Cairn configuration (cairn.yaml)",
            ["description"] = "Targets (repositories) and jobs (components backed up together). See README.md, section Configuration.",
        };
        foreach (var (key, value) in root) schema[key] = value?.DeepClone();
        schema["$defs"] = defs;
        return schema;
    }

    private static JsonObject Name() => new()
    {
        ["description"] = "The component's name: its directory in the snapshot, unique within the job.",
        ["type"] = "string",
        ["pattern"] = "^[A-Za-z0-9][A-Za-z0-9._-]*$",
        ["maxLength"] = NameRules.MaxLength,
    };

    private static JsonObject Described(JsonObject schema, string? description)
    {
        if (description is null) return schema;
        var described = new JsonObject { ["description"] = description };
        foreach (var (key, value) in schema) described[key] = value?.DeepClone();
        return described;
    }

    private sealed class Walker(IReadOnlyList<ComponentType> types)
    {
        public JsonObject Record(Type type, bool partial, IReadOnlyCollection<string>? hidden = null, JsonObject? extraProperties = null)
        {
            var shape = ConfigShape.For(type);
            var properties = new JsonObject();
            var required = new JsonArray();
            var rules = new JsonArray();
            foreach (var (key, value) in extraProperties ?? []) properties[key] = value?.DeepClone();
            foreach (var property in shape.Properties)
            {
                if (hidden?.Contains(property.Property.Name) == true) continue;
                var schema = Described(Value(property.Property.PropertyType, partial), property.Description);
                if (!property.Required && Default(shape, property) is { } defaultValue) schema["default"] = defaultValue;
                properties[property.Key] = schema;
                if (property.Secret)
                {
                    properties[property.FileKey] = new JsonObject
                    {
                        ["description"] = $"A file whose first line is {property.Key} (instead of giving it inline).",
                        ["type"] = "string",
                    };
                    rules.Add(new JsonObject { ["not"] = new JsonObject { ["required"] = new JsonArray(property.Key, property.FileKey) } });
                    if (property.Required && !partial)
                        rules.Add(new JsonObject { ["anyOf"] = new JsonArray(Requires(property.Key), Requires(property.FileKey)) });
                }
                else if (property.Required && !partial)
                {
                    required.Add(property.Key);
                }
            }
            var result = new JsonObject();
            if (shape.Description is not null) result["description"] = shape.Description;
            result["type"] = "object";
            result["properties"] = properties;
            result["additionalProperties"] = false;
            if (required.Count > 0) result["required"] = required;
            if (rules.Count > 0) result["allOf"] = rules;
            return result;
        }

        private static JsonObject Requires(string key) => new() { ["required"] = new JsonArray(key) };

        public JsonObject Component()
        {
            var branches = new JsonArray();
            foreach (var type in types)
            {
                branches.Add(new JsonObject
                {
                    ["if"] = new JsonObject { ["properties"] = new JsonObject { ["type"] = new JsonObject { ["const"] = type.Name } }, ["required"] = new JsonArray("type") },
                    ["then"] = new JsonObject { ["$ref"] = "#/$defs/component_" + type.Name },
                });
            }
            var component = new JsonObject
            {
                ["description"] = "One component: a name, a type, and that type's options.",
                ["type"] = "object",
                ["properties"] = new JsonObject { ["name"] = Name(), ["type"] = TypeName() },
                ["required"] = new JsonArray("name", "type"),
            };
            if (branches.Count > 0) component["allOf"] = branches;
            return component;
        }

        private JsonObject TypeName()
        {
            var schema = new JsonObject { ["description"] = "The component type: " + string.Join("; ", types.Select(t => $"{t.Name}: {t.Summary}")) };
            if (types.Count > 0) schema["enum"] = new JsonArray([.. types.Select(t => JsonValue.Create(t.Name))]);
            else schema["type"] = "string";
            return schema;
        }

        public JsonObject Options(ComponentType type)
        {
            var schema = Record(type.OptionsType, partial: false, extraProperties: new JsonObject { ["name"] = Name(), ["type"] = new JsonObject { ["const"] = type.Name } });
            schema["description"] = type.Summary;
            return schema;
        }

        private JsonObject Value(Type type, bool partial)
        {
            type = Nullable.GetUnderlyingType(type) ?? type;
            if (type == typeof(ComponentDefinition)) return new JsonObject { ["$ref"] = partial ? "#/$defs/component_override" : "#/$defs/component" };
            if (ConfigShape.ListElement(type) is { } element)
            {
                // Jobs are a list bound from a mapping of names (ConfigBinder.BindNamed).
                return ConfigShape.IsNamed(element)
                    ? new JsonObject { ["type"] = "object", ["additionalProperties"] = Record(element, partial, hidden: ["Name"]) }
                    : new JsonObject { ["type"] = "array", ["items"] = Value(element, partial) };
            }
            if (ConfigShape.DictionaryValue(type) is { } valueType)
            {
                var values = ConfigShape.IsNamed(valueType) ? Record(valueType, partial, hidden: ["Name"]) : Value(valueType, partial);
                return new JsonObject { ["type"] = "object", ["additionalProperties"] = values };
            }
            if (ConfigShape.IsRecord(type)) return Record(type, partial);
            if (type == typeof(string)) return new JsonObject { ["type"] = "string" };
            JsonObject literal = type switch
            {
                _ when type == typeof(bool) => new() { ["type"] = "boolean" },
                _ when type == typeof(int) || type == typeof(long) => new() { ["type"] = "integer" },
                _ when type == typeof(double) => new() { ["type"] = "number" },
                _ when type == typeof(TimeSpan) => new()
                {
                    ["description"] = "A duration: 30s, 5m, 2h, 1d, 1h30m (a bare number is seconds).",
                    ["type"] = new JsonArray("string", "number"),
                    ["pattern"] = @"^(\d+(\.\d+)?(ms|s|m|h|d)?)+$",
                },
                _ when type.IsEnum => new() { ["enum"] = new JsonArray([.. Enum.GetNames(type).Select(n => JsonValue.Create(ConfigBinder.EnumKey(n)))]) },
                _ => throw new InvalidOperationException($"config binding does not support properties of type {type.Name}"),
            };
            return new JsonObject { ["anyOf"] = new JsonArray(literal, new JsonObject { ["$ref"] = Interpolated }) };
        }

        private static JsonNode? Default(ConfigShape shape, ConfigProperty property) => shape.DefaultOf(property) switch
        {
            string s => JsonValue.Create(s),
            bool b => JsonValue.Create(b),
            int i => JsonValue.Create(i),
            long l => JsonValue.Create(l),
            double d => JsonValue.Create(d),
            TimeSpan t => JsonValue.Create(FormatDuration(t)),
            Enum e => JsonValue.Create(ConfigBinder.EnumKey(e.ToString())),
            _ => null,
        };

        private static string FormatDuration(TimeSpan t) =>
            t.TotalSeconds % 86400 == 0 && t.TotalDays >= 1 ? $"{t.TotalDays:0}d"
            : t.TotalSeconds % 3600 == 0 && t.TotalHours >= 1 ? $"{t.TotalHours:0}h"
            : t.TotalSeconds % 60 == 0 && t.TotalMinutes >= 1 ? $"{t.TotalMinutes:0}m"
            : $"{t.TotalSeconds:0.###}s";
    }
}
