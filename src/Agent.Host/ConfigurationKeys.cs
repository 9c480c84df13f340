using System.Collections;
using System.ComponentModel;
using System.Reflection;
using Microsoft.Extensions.Configuration;

namespace Agent.Host;

/// <summary>
/// Finds configuration keys that no property of an options type reads, by walking the section against the type the way
/// the configuration binder binds it: an object's keys are its properties (case-insensitive, as the binder matches them),
/// a dictionary's keys are free and its values are walked, a list's keys are indexes, and a value has no keys below it.
/// Each unknown key is reported with its full path (<c>Policy:Tags:deceit:Blok</c>), which the binder's own error leaves out.
/// </summary>
internal static class ConfigurationKeys
{
    /// <summary>The full paths of the keys under <paramref name="section"/> that <paramref name="type"/> does not read, in configuration order.</summary>
    public static IEnumerable<string> Unknown(IConfigurationSection section, Type type)
    {
        ArgumentNullException.ThrowIfNull(section);
        ArgumentNullException.ThrowIfNull(type);
        type = Nullable.GetUnderlyingType(type) ?? type;
        var children = section.GetChildren();
        if (IsValue(type))
        {
            foreach (var child in children)
            {
                yield return child.Path;
            }

            yield break;
        }

        if (ElementType(type, typeof(IDictionary<,>)) is { } valueType)
        {
            foreach (var unknown in children.SelectMany(child => Unknown(child, valueType)))
            {
                yield return unknown;
            }

            yield break;
        }

        if (type.IsArray || ElementType(type, typeof(IEnumerable<>)) is not null)
        {
            var itemType = type.IsArray ? type.GetElementType()! : ElementType(type, typeof(IEnumerable<>))!;
            foreach (var child in children)
            {
                if (!int.TryParse(child.Key, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out _))
                {
                    yield return child.Path;
                    continue;
                }

                foreach (var unknown in Unknown(child, itemType))
                {
                    yield return unknown;
                }
            }

            yield break;
        }

        var properties = BindableProperties(type);
        foreach (var child in children)
        {
            if (!properties.TryGetValue(child.Key, out var property))
            {
                yield return child.Path;
                continue;
            }

            foreach (var unknown in Unknown(child, property.PropertyType))
            {
                yield return unknown;
            }
        }
    }

    /// <summary>What a key below <paramref name="path"/> (keys after the name of <paramref name="section"/>) may be, for a message: the names an object has, or why it has none.</summary>
    public static string DescribeKeysBelow(string section, Type root, IReadOnlyList<string> path)
    {
        var type = root;
        foreach (var key in path)
        {
            type = Nullable.GetUnderlyingType(type) ?? type;
            if (ElementType(type, typeof(IDictionary<,>)) is { } valueType)
            {
                type = valueType;
            }
            else if (!IsValue(type) && (type.IsArray || ElementType(type, typeof(IEnumerable<>)) is not null))
            {
                type = type.IsArray ? type.GetElementType()! : ElementType(type, typeof(IEnumerable<>))!;
            }
            else if (!IsValue(type) && BindableProperties(type).TryGetValue(key, out var property))
            {
                type = property.PropertyType;
            }
            else
            {
                return "see the README's configuration table";
            }
        }

        type = Nullable.GetUnderlyingType(type) ?? type;
        var here = $"'{ConfigurationPath.Combine(path.Prepend(section))}'";
        return IsValue(type) ? $"{here} is a value and has no keys below it"
            : ElementType(type, typeof(IDictionary<,>)) is not null ? $"{here} is a map of names"
            : type.IsArray || ElementType(type, typeof(IEnumerable<>)) is not null ? $"{here} is a list, whose keys are its indexes 0, 1, 2 and on"
            : $"the keys there are {string.Join(", ", BindableProperties(type).Values.Select(p => p.Name))}";
    }

    /// <summary>A value the binder converts from one string (numbers, text, enums, URIs, ...), never a section of its own.</summary>
    private static bool IsValue(Type type) =>
        type == typeof(string) || type.IsPrimitive || type.IsEnum || type == typeof(object) || TypeDescriptor.GetConverter(type).CanConvertFrom(typeof(string));

    /// <summary>The last generic argument of the <paramref name="generic"/> interface <paramref name="type"/> is or implements (the element of a list, the value of a dictionary).</summary>
    private static Type? ElementType(Type type, Type generic)
    {
        if (type.IsGenericType && type.GetGenericTypeDefinition() == generic)
        {
            return type.GetGenericArguments()[^1];
        }

        var match = type.GetInterfaces().FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == generic);
        return match?.GetGenericArguments()[^1];
    }

    /// <summary>Public instance properties the binder can fill: settable ones, and read-only ones that hold a list, dictionary or object it fills in place.</summary>
    private static Dictionary<string, PropertyInfo> BindableProperties(Type type)
    {
        var properties = new Dictionary<string, PropertyInfo>(StringComparer.OrdinalIgnoreCase);
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (property.GetIndexParameters().Length > 0 || property.GetMethod is not { IsPublic: true })
            {
                continue;
            }

            var settable = property.SetMethod is { IsPublic: true };
            var filledInPlace = !IsValue(property.PropertyType)
                && (ElementType(property.PropertyType, typeof(ICollection<>)) is not null || ElementType(property.PropertyType, typeof(IDictionary<,>)) is not null
                    || !typeof(IEnumerable).IsAssignableFrom(property.PropertyType));
            if (settable || filledInPlace)
            {
                properties[property.Name] = property;
            }
        }

        return properties;
    }
}
