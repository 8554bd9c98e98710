using System.Globalization;

namespace Lottery.Generators.Parsing;

/// <summary>Values as text: numbers as messages write them, and literals for generated code.</summary>
internal static class ValueText
{
    /// <summary>A fraction as a percentage for messages: 0.32768 gives 32.8%.</summary>
    public static string Percent(double fraction) => (fraction * 100).ToString("0.#", CultureInfo.InvariantCulture) + "%";

    /// <summary>A value as in source code, for messages: 0.2, 1E-05.</summary>
    public static string Number(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>A double literal for generated code that reads back to the same value.</summary>
    public static string DoubleLiteral(double value)
    {
        var text = value.ToString("R", CultureInfo.InvariantCulture);
        return text.IndexOfAny(['.', 'E', 'e']) >= 0 ? text : text + ".0";
    }

    /// <summary>A string literal for generated code.</summary>
    public static string StringLiteral(string value) =>
        "\"" + value.Replace("\\", "\\\\").Replace("\"", "\\\"").Replace("\r", "\\r").Replace("\n", "\\n") + "\"";
}
