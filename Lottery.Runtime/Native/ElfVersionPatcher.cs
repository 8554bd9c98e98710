using System.Buffers.Binary;
using System.Text;

namespace Lottery.Native;

/// <summary>
/// Marks a symbol-version requirement of an ELF64 shared library as weak (VER_FLG_WEAK), so that the
/// dynamic loader only notes a missing version instead of refusing to load the library.
/// </summary>
/// <remarks>
/// TorchSharp 0.107's <c>libLibTorchSharp.so</c> was linked against GCC 13's libstdc++ and so requires
/// <c>GLIBCXX_3.4.32</c>, whose only symbol it references is <c>std::ios_base_library_init()</c>, a
/// link-time anchor that is never called. Debian 12 and Ubuntu 22.04 ship GCC 12's libstdc++, which
/// lacks that version. Setting the weak bit is a two-byte change in the <c>.gnu.version_r</c> section.
/// </remarks>
public static class ElfVersionPatcher
{
    private const uint SectionTypeVersionNeed = 0x6ffffffe; // SHT_GNU_verneed
    private const ushort VersionFlagWeak = 0x2;              // VER_FLG_WEAK

    /// <summary>
    /// Sets the weak flag on every requirement of <paramref name="versionName"/> in <paramref name="elf"/>.
    /// Returns how many requirement entries were changed (0 when the library does not need that version
    /// or already marks it weak).
    /// </summary>
    /// <exception cref="InvalidDataException">The bytes are not a little-endian ELF64 file, or are truncated.</exception>
    public static int MarkVersionRequirementWeak(Span<byte> elf, string versionName)
    {
        var changed = 0;
        foreach (var requirement in FindRequirements(elf))
        {
            if (requirement.Version == versionName && !requirement.Weak)
            {
                var flags = ReadUInt16(elf, requirement.FlagsOffset);
                BinaryPrimitives.WriteUInt16LittleEndian(elf.Slice(requirement.FlagsOffset, 2), (ushort)(flags | VersionFlagWeak));
                changed++;
            }
        }

        return changed;
    }

    /// <summary>Lists the symbol versions an ELF64 library requires, with whether each is marked weak.</summary>
    /// <exception cref="InvalidDataException">The bytes are not a little-endian ELF64 file, or are truncated.</exception>
    public static IReadOnlyList<(string Version, bool Weak)> ReadVersionRequirements(ReadOnlySpan<byte> elf) =>
        FindRequirements(elf).Select(r => (r.Version, r.Weak)).ToList();

    private static List<(string Version, bool Weak, int FlagsOffset)> FindRequirements(ReadOnlySpan<byte> elf)
    {
        if (elf.Length < 64 || elf[0] != 0x7f || elf[1] != (byte)'E' || elf[2] != (byte)'L' || elf[3] != (byte)'F')
        {
            throw new InvalidDataException("not an ELF file (bad magic number)");
        }

        if (elf[4] != 2 || elf[5] != 1)
        {
            throw new InvalidDataException("only little-endian 64-bit ELF files are supported");
        }

        var result = new List<(string, bool, int)>();
        var sectionTableOffset = checked((int)ReadUInt64(elf, 0x28));
        var sectionEntrySize = ReadUInt16(elf, 0x3A);
        var sectionCount = ReadUInt16(elf, 0x3C);
        for (var section = 0; section < sectionCount; section++)
        {
            var header = sectionTableOffset + (section * sectionEntrySize);
            if (ReadUInt32(elf, header + 4) != SectionTypeVersionNeed)
            {
                continue;
            }

            // Elf64_Verneed entries, each followed by a chain of Elf64_Vernaux entries; names live in
            // the string table named by the section's sh_link.
            var need = checked((int)ReadUInt64(elf, header + 24));
            var needCount = ReadUInt32(elf, header + 44);
            var stringSectionHeader = sectionTableOffset + ((int)ReadUInt32(elf, header + 40) * sectionEntrySize);
            var strings = checked((int)ReadUInt64(elf, stringSectionHeader + 24));
            for (var n = 0; n < needCount; n++)
            {
                var auxCount = ReadUInt16(elf, need + 2);
                var aux = need + (int)ReadUInt32(elf, need + 8);
                for (var a = 0; a < auxCount; a++)
                {
                    var name = Encoding.ASCII.GetString(ReadCString(elf, strings + (int)ReadUInt32(elf, aux + 8)));
                    var weak = (ReadUInt16(elf, aux + 4) & VersionFlagWeak) != 0;
                    result.Add((name, weak, aux + 4));
                    aux += (int)ReadUInt32(elf, aux + 12);
                }

                need += (int)ReadUInt32(elf, need + 12);
            }
        }

        return result;
    }

    private static ReadOnlySpan<byte> ReadCString(ReadOnlySpan<byte> elf, int offset)
    {
        var rest = (uint)offset < (uint)elf.Length ? elf[offset..] : [];
        var end = rest.IndexOf((byte)0);
        if (end < 0)
        {
            throw new InvalidDataException("truncated ELF string table");
        }

        return rest[..end];
    }

    private static ushort ReadUInt16(ReadOnlySpan<byte> elf, int offset) => BinaryPrimitives.ReadUInt16LittleEndian(Slice(elf, offset, 2));

    private static uint ReadUInt32(ReadOnlySpan<byte> elf, int offset) => BinaryPrimitives.ReadUInt32LittleEndian(Slice(elf, offset, 4));

    private static ulong ReadUInt64(ReadOnlySpan<byte> elf, int offset) => BinaryPrimitives.ReadUInt64LittleEndian(Slice(elf, offset, 8));

    private static ReadOnlySpan<byte> Slice(ReadOnlySpan<byte> elf, int offset, int length)
    {
        if (offset < 0 || offset > elf.Length - length)
        {
            throw new InvalidDataException($"truncated ELF file: needed {length} bytes at offset {offset}, file has {elf.Length}");
        }

        return elf.Slice(offset, length);
    }
}
