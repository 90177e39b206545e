using System.ComponentModel;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text;
using Cairn.Components;

namespace Cairn.Orchestration.Config;

/// <summary>One property of a config record as the file sees it: its YAML key, whether it must be given, its value type.</summary>
internal sealed record ConfigProperty(PropertyInfo Property, string Key, bool Required, bool Nullable, bool Secret, string? Description)
{
    public Type ValueType => System.Nullable.GetUnderlyingType(Property.PropertyType) ?? Property.PropertyType;

    /// <summary>The <c>&lt;key&gt;_file</c> form of a secret.</summary>
    public string FileKey => Key + "_file";
}

/// <summary>
/// How a record maps to a YAML mapping, found by reflection: the binder and the JSON Schema both read it, so the schema
/// can never describe keys the loader does not accept. Adding a property to a record adds its key to both.
/// </summary>
internal sealed class ConfigShape
{
    private static readonly Dictionary<Type, ConfigShape> s_cache = [];
    private readonly ConstructorInfo _constructor;
    private readonly ParameterInfo[] _parameters;

    private ConfigShape(Type type)
    {
        Type = type;
        Description = type.GetCustomAttribute<DescriptionAttribute>()?.Description;
        var constructors = type.GetConstructors().Where(c => !IsCopyConstructor(c, type)).ToList();
        _constructor = constructors.FirstOrDefault(c => c.GetParameters().Length == 0)
            ?? constructors.OrderByDescending(c => c.GetParameters().Length).FirstOrDefault()
            ?? throw new InvalidOperationException($"{type.Name} has no public constructor, so the config cannot bind it");
        _parameters = _constructor.GetParameters();
        var nullability = new NullabilityInfoContext();
        var properties = new List<ConfigProperty>();
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (property.GetIndexParameters().Length > 0 || property.Name == "EqualityContract") continue;
            var parameter = _parameters.FirstOrDefault(p => string.Equals(p.Name, property.Name, StringComparison.OrdinalIgnoreCase));
            if (parameter is null && property.SetMethod is not { IsPublic: true }) continue;
            bool required = property.IsDefined(typeof(RequiredMemberAttribute)) || parameter is { HasDefaultValue: false };
            bool nullable = System.Nullable.GetUnderlyingType(property.PropertyType) is not null
                || (!property.PropertyType.IsValueType && nullability.Create(property).WriteState == NullabilityState.Nullable);
            bool secret = property.IsDefined(typeof(SecretAttribute));
            if (secret && property.PropertyType != typeof(string))
                throw new InvalidOperationException($"{type.Name}.{property.Name}: [Secret] applies to string properties only");
            properties.Add(new ConfigProperty(property, SnakeCase(property.Name), required, nullable, secret,
                property.GetCustomAttribute<DescriptionAttribute>()?.Description));
        }
        Properties = properties;
    }

    public Type Type { get; }

    public string? Description { get; }

    public IReadOnlyList<ConfigProperty> Properties { get; }

    public static ConfigShape For(Type type)
    {
        lock (s_cache)
        {
            if (!s_cache.TryGetValue(type, out var shape)) s_cache[type] = shape = new ConfigShape(type);
            return shape;
        }
    }

    /// <summary>Makes the record from bound values; properties missing from <paramref name="values"/> keep their defaults.</summary>
    public object Create(IReadOnlyDictionary<ConfigProperty, object?> values)
    {
        var arguments = _parameters.Select(p =>
        {
            var match = values.FirstOrDefault(v => string.Equals(v.Key.Property.Name, p.Name, StringComparison.OrdinalIgnoreCase));
            if (match.Key is not null) return match.Value;
            return p.HasDefaultValue ? p.DefaultValue : p.ParameterType.IsValueType ? Activator.CreateInstance(p.ParameterType) : null;
        }).ToArray();
        var instance = _constructor.Invoke(arguments);
        foreach (var (property, value) in values)
            if (!_parameters.Any(p => string.Equals(p.Name, property.Property.Name, StringComparison.OrdinalIgnoreCase)))
                property.Property.SetValue(instance, value);
        return instance;
    }

    /// <summary>The initial value of a property on a record made with no values given (for the schema's defaults).</summary>
    public object? DefaultOf(ConfigProperty property)
    {
        if (property.Required) return null;
        try
        {
            return property.Property.GetValue(Create(new Dictionary<ConfigProperty, object?>()));
        }
        catch (TargetInvocationException)
        {
            return null;
        }
    }

    /// <summary>PasswordFile → password_file, MaxAge → max_age, TLSCert → tls_cert.</summary>
    public static string SnakeCase(string name)
    {
        var result = new StringBuilder(name.Length + 4);
        for (int i = 0; i < name.Length; i++)
        {
            char c = name[i];
            if (char.IsUpper(c))
            {
                bool wordStart = i > 0 && (char.IsLower(name[i - 1]) || char.IsDigit(name[i - 1]) || (i + 1 < name.Length && char.IsLower(name[i + 1]) && char.IsUpper(name[i - 1])));
                if (wordStart) result.Append('_');
                result.Append(char.ToLowerInvariant(c));
            }
            else
            {
                result.Append(c);
            }
        }
        return result.ToString();
    }

    private static bool IsCopyConstructor(ConstructorInfo constructor, Type type) =>
        constructor.GetParameters() is [var only] && only.ParameterType == type;

    /// <summary>T of a list type the binder accepts (arrays, List, IReadOnlyList, IList, IEnumerable…), or null.</summary>
    public static Type? ListElement(Type type)
    {
        if (type.IsArray) return type.GetElementType();
        if (!type.IsGenericType || type == typeof(string)) return null;
        var definition = type.GetGenericTypeDefinition();
        return definition == typeof(List<>) || definition == typeof(IReadOnlyList<>) || definition == typeof(IList<>)
            || definition == typeof(IEnumerable<>) || definition == typeof(IReadOnlyCollection<>) || definition == typeof(ICollection<>)
            ? type.GetGenericArguments()[0] : null;
    }

    /// <summary>TValue of a string-keyed dictionary type the binder accepts, or null.</summary>
    public static Type? DictionaryValue(Type type)
    {
        if (!type.IsGenericType) return null;
        var definition = type.GetGenericTypeDefinition();
        var args = type.GetGenericArguments();
        return (definition == typeof(Dictionary<,>) || definition == typeof(IReadOnlyDictionary<,>) || definition == typeof(IDictionary<,>))
            && args[0] == typeof(string) ? args[1] : null;
    }

    /// <summary>A record bound from a mapping (not a scalar, list or dictionary).</summary>
    public static bool IsRecord(Type type) =>
        type.IsClass && type != typeof(string) && ListElement(type) is null && DictionaryValue(type) is null;

    /// <summary>A record whose instances are named by their key in a mapping (targets, jobs): it has a string Name.</summary>
    public static bool IsNamed(Type type) => IsRecord(type) && type.GetProperty("Name")?.PropertyType == typeof(string);
}
