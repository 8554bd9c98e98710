using System.IO.Compression;
using Lottery.Data;

namespace Lottery.Tests.Data;

public sealed class IdxFileTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("lottery-idx-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    private static byte[] Idx(byte type, int[] dimensions, int dataLength)
    {
        var bytes = new List<byte> { 0, 0, type, (byte)dimensions.Length };
        foreach (var d in dimensions)
        {
            bytes.AddRange(BitConverter.GetBytes(d).Reverse());
        }

        bytes.AddRange(Enumerable.Range(0, dataLength).Select(i => (byte)(i % 10)));
        return bytes.ToArray();
    }

    private static byte[] Gzip(byte[] bytes)
    {
        using var memory = new MemoryStream();
        using (var gzip = new GZipStream(memory, CompressionLevel.Fastest))
        {
            gzip.Write(bytes);
        }

        return memory.ToArray();
    }

    private string WriteFile(string name, byte[] bytes)
    {
        var path = Path.Combine(folder, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private void WriteSet(int images, int labels, bool gzip = true)
    {
        var suffix = gzip ? ".gz" : string.Empty;
        byte[] Wrap(byte[] b) => gzip ? Gzip(b) : b;
        WriteFile("train-images-idx3-ubyte" + suffix, Wrap(Idx(8, [images, 2, 2], images * 4)));
        WriteFile("train-labels-idx1-ubyte" + suffix, Wrap(Idx(8, [labels], labels)));
        WriteFile("t10k-images-idx3-ubyte" + suffix, Wrap(Idx(8, [3, 2, 2], 12)));
        WriteFile("t10k-labels-idx1-ubyte" + suffix, Wrap(Idx(8, [3], 3)));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Reads_plain_and_gzipped_files(bool gzip)
    {
        WriteSet(5, 5, gzip);
        using var data = DataSets.LoadFolder("tiny", folder);
        Assert.Equal(5, data.Train.Count);
        Assert.Equal(new long[] { 5, 1, 2, 2 }, data.Train.Inputs.shape);
        Assert.Equal(new long[] { 0, 1, 2, 3, 4 }, data.Train.Labels.data<long>().ToArray());
        Assert.Equal(3f / 255f, data.Train.Inputs[0, 0, 1, 1].item<float>(), 6);
        Assert.Equal(3, data.Test.Count);
    }

    [Fact]
    public void Writing_and_reading_round_trips()
    {
        var array = new IdxArray([2, 3], [1, 2, 3, 4, 5, 6]);
        var path = Path.Combine(folder, "x.gz");
        IdxFile.Write(path, array);
        var read = IdxFile.Read(path);
        Assert.Equal(array.Dimensions, read.Dimensions);
        Assert.Equal(array.Data, read.Data);
    }

    [Fact]
    public void A_missing_file_names_the_file()
    {
        var path = Path.Combine(folder, "nothing-here.gz");
        var error = Assert.Throws<DataSetException>(() => IdxFile.Read(path));
        Assert.Equal(path, error.File);
        Assert.Contains("not found", error.Message);
    }

    [Fact]
    public void A_file_truncated_in_its_header_is_reported()
    {
        var path = WriteFile("short", Idx(8, [10, 28, 28], 0)[..9]);
        var error = Assert.Throws<DataSetException>(() => IdxFile.Read(path));
        Assert.Equal(path, error.File);
        Assert.Contains("truncated", error.Message);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_file_truncated_in_its_data_is_reported(bool gzip)
    {
        var bytes = Idx(8, [10, 28, 28], 10 * 28 * 28)[..5000];
        var path = WriteFile("cut", gzip ? Gzip(bytes) : bytes);
        var error = Assert.Throws<DataSetException>(() => IdxFile.Read(path));
        Assert.Contains("truncated", error.Message);
        Assert.Contains("7840 values", error.Message);
    }

    [Fact]
    public void A_cut_gzip_stream_is_reported()
    {
        var gz = Gzip(Idx(8, [100, 28, 28], 100 * 28 * 28));
        var path = WriteFile("cut.gz", gz[..(gz.Length / 2)]);
        var error = Assert.Throws<DataSetException>(() => IdxFile.Read(path));
        Assert.Equal(path, error.File);
        Assert.Matches("truncated|corrupt", error.Message);
    }

    [Fact]
    public void Corrupt_gzip_data_is_reported()
    {
        var gz = Gzip(Idx(8, [100, 28, 28], 100 * 28 * 28));
        for (var i = 20; i < gz.Length - 20; i += 7)
        {
            gz[i] ^= 0x5a;
        }

        var path = WriteFile("bad.gz", gz);
        var error = Assert.Throws<DataSetException>(() => IdxFile.Read(path));
        Assert.Equal(path, error.File);
        Assert.Matches("corrupt|truncated", error.Message);
    }

    [Fact]
    public void A_file_that_is_not_IDX_is_reported()
    {
        var path = WriteFile("page.html", "<html>not found</html>"u8.ToArray());
        var error = Assert.Throws<DataSetException>(() => IdxFile.Read(path));
        Assert.Contains("not an IDX file", error.Message);
    }

    [Fact]
    public void Trailing_bytes_are_reported_as_corruption()
    {
        var path = WriteFile("long", Idx(8, [2, 2], 5));
        var error = Assert.Throws<DataSetException>(() => IdxFile.Read(path));
        Assert.Contains("corrupt", error.Message);
    }

    [Fact]
    public void A_label_count_that_differs_from_the_image_count_names_both_files()
    {
        WriteSet(images: 5, labels: 4);
        var error = Assert.Throws<DataSetException>(() => DataSets.LoadFolder("tiny", folder));
        Assert.EndsWith("train-labels-idx1-ubyte.gz", error.File);
        Assert.Contains("4 labels", error.Message);
        Assert.Contains("train-images-idx3-ubyte.gz holds 5 images", error.Message);
    }

    [Fact]
    public void Swapped_image_and_label_files_are_reported()
    {
        WriteSet(5, 5);
        File.Copy(Path.Combine(folder, "train-labels-idx1-ubyte.gz"), Path.Combine(folder, "swap.gz"));
        File.Copy(Path.Combine(folder, "train-images-idx3-ubyte.gz"), Path.Combine(folder, "train-labels-idx1-ubyte.gz"), overwrite: true);
        File.Copy(Path.Combine(folder, "swap.gz"), Path.Combine(folder, "train-images-idx3-ubyte.gz"), overwrite: true);
        var error = Assert.Throws<DataSetException>(() => DataSets.LoadFolder("tiny", folder));
        Assert.Contains("swapped", error.Message);
    }

    [Fact]
    public void A_missing_data_set_folder_says_where_it_looked_and_how_to_install()
    {
        var error = Assert.Throws<DataSetException>(() => DataSets.LoadFashionMnist(Path.Combine(folder, "absent")));
        Assert.Contains("absent", error.Message);
        Assert.Contains("apt-get install dataset-fashion-mnist", error.Message);
    }

    [Fact]
    public void An_unknown_data_set_name_lists_the_known_ones()
    {
        var error = Assert.Throws<DataSetException>(() => DataSets.Load("cifar-10"));
        Assert.Contains("mnist-digits, fashion-mnist", error.Message);
    }

    [Fact]
    public void The_embedded_digits_hold_8000_training_and_2000_test_images_split_80_20_in_every_class()
    {
        using var data = DataSets.LoadEmbeddedMnistDigits();
        Assert.Equal(8000, data.Train.Count);
        Assert.Equal(2000, data.Test.Count);
        Assert.Equal(new long[] { 8000, 1, 28, 28 }, data.Train.Inputs.shape);
        var train = data.Train.Labels.bincount(null).data<long>().ToArray();
        var test = data.Test.Labels.bincount(null).data<long>().ToArray();
        Assert.Equal(10, train.Length);
        Assert.Equal(10, test.Length);
        for (var digit = 0; digit < 10; digit++)
        {
            Assert.InRange(train[digit] + test[digit], 800, 1200);
            Assert.Equal(Math.Round((train[digit] + test[digit]) * 0.8, MidpointRounding.AwayFromZero), train[digit]);
        }

        Assert.InRange(data.Train.Inputs.mean().item<float>(), 0.05f, 0.3f);
    }
}
