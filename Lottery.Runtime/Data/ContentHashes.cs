using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Lottery.Data;

/// <summary>The SHA-256 hashes data sources give as their <see cref="IDataSource.ContentHash"/>, as lower-case hex.</summary>
internal static class ContentHashes
{
    /// <summary>The hash of everything <paramref name="stream"/> holds from where it stands.</summary>
    public static string Of(Stream stream) => Convert.ToHexStringLower(SHA256.HashData(stream));

    /// <summary>One hash of several parts (file hashes, settings), which changes when any part or their order does.</summary>
    public static string Combine(IEnumerable<string> parts) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(parts.ToArray()))));
}
