using System.IO.Compression;
using System.Text;
using Lottery.Data;
using static TorchSharp.torch;

namespace Lottery.Tests.Data;

public sealed class CsvDataSourceTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("lottery-csv-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    private string Write(string name, string text)
    {
        var path = Path.Combine(folder, name);
        File.WriteAllText(path, text, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
        return path;
    }

    private string WriteGzip(string name, string text)
    {
        var path = Path.Combine(folder, name);
        using var file = File.Create(path);
        using var gzip = new GZipStream(file, CompressionLevel.Fastest);
        gzip.Write(Encoding.UTF8.GetBytes(text));
        return path;
    }

    private static float[] Values(Tensor t) => t.data<float>().ToArray();

    private static long[] Labels(TensorDataSet set) => set.Labels.data<long>().ToArray();

    private static DataSetException Error(CsvDataSource source) => Assert.Throws<DataSetException>(() => source.Load().Dispose());

    private const string SmallTrain = "a,b,label\n1,10,0\n2,20,1\n3,30,2\n4,40,1\n";
    private const string SmallTest = "a,b,label\n5,50,2\n6,60,0\n";

    [Fact]
    public void Integer_labels_are_class_indices_and_features_keep_the_header_order()
    {
        var source = new CsvDataSource(Write("small.csv", SmallTrain), "label") { TestFilePath = Write("small-test.csv", SmallTest), Standardize = false };
        using var data = source.Load();

        Assert.Equal(new long[] { 4, 2 }, data.Train.Inputs.shape);
        Assert.Equal(ScalarType.Float32, data.Train.Inputs.dtype);
        Assert.Equal(ScalarType.Int64, data.Train.Labels.dtype);
        Assert.Equal([1f, 10f, 2f, 20f, 3f, 30f, 4f, 40f], Values(data.Train.Inputs));
        Assert.Equal([0L, 1L, 2L, 1L], Labels(data.Train));
        Assert.Equal([5f, 50f, 6f, 60f], Values(data.Test.Inputs));
        Assert.Equal([2L, 0L], Labels(data.Test));
        Assert.Equal(3, data.Train.ClassCount);
        Assert.Equal(3, data.Test.ClassCount);
        Assert.Equal(["0", "1", "2"], source.ClassNames);
        Assert.Equal(["a", "b"], source.FeatureNames);
        Assert.Null(source.Standardization);
        Assert.Equal("small", data.Name);
        Assert.Equal("small/train", data.Train.Name);
        Assert.Equal("small/test", data.Test.Name);
    }

    [Fact]
    public void Integer_labels_that_skip_a_value_still_count_the_classes_up_to_the_largest()
    {
        var source = new CsvDataSource(Write("gap.csv", "x,y\n0.5,0\n-1.5e1,4\n 2 , 4 \n"), "y") { TestFilePath = Write("gap-test.csv", "x,y\n7,0\n"), Standardize = false };
        using var data = source.Load();
        Assert.Equal(5, data.Train.ClassCount);
        Assert.Equal([0L, 4L, 4L], Labels(data.Train));
        Assert.Equal([0.5f, -15f, 2f], Values(data.Train.Inputs));
    }

    [Fact]
    public void Text_labels_are_numbered_in_ordinal_sorted_order()
    {
        // Ordinal order puts capitals first: 'V' (86) < 's' (115) < 'v' (118).
        var train = Write("iris.csv", "w,species\n1,virginica\n2,setosa\n3,Versicolor\n4,setosa\n");
        var test = Write("iris-test.csv", "w,species\n5,Versicolor\n6,virginica\n");
        var source = new CsvDataSource(train, "species") { TestFilePath = test, Standardize = false };
        using var data = source.Load();
        Assert.Equal(["Versicolor", "setosa", "virginica"], source.ClassNames);
        Assert.Equal([2L, 1L, 0L, 1L], Labels(data.Train));
        Assert.Equal([0L, 2L], Labels(data.Test));
        Assert.Equal(3, data.Train.ClassCount);
    }

    [Fact]
    public void One_label_that_is_not_a_non_negative_integer_makes_every_label_text()
    {
        var source = new CsvDataSource(Write("mixed.csv", "x,y\n1,10\n2,9\n3,-1\n4,10\n"), "y") { TestFilePath = Write("mixed-test.csv", "x,y\n5,9\n"), Standardize = false };
        using var data = source.Load();
        Assert.Equal(["-1", "10", "9"], source.ClassNames);
        Assert.Equal([1L, 2L, 0L, 1L], Labels(data.Train));
        Assert.Equal([2L], Labels(data.Test));
    }

    [Fact]
    public void Named_feature_columns_are_read_in_the_order_given_and_other_columns_are_ignored()
    {
        var train = Write("named.csv", "id,a,label,c,date\nr1,1,0,100,2024-01-01\nr2,2,1,200,2024-01-02\n");
        var test = Write("named-test.csv", "c,label,a,extra\n300,1,3,zzz\n");
        var source = new CsvDataSource(train, "label") { FeatureColumns = ["c", "a"], TestFilePath = test, Standardize = false };
        using var data = source.Load();
        Assert.Equal(["c", "a"], source.FeatureNames);
        Assert.Equal([100f, 1f, 200f, 2f], Values(data.Train.Inputs));
        Assert.Equal([300f, 3f], Values(data.Test.Inputs));
    }

    [Fact]
    public void Features_are_standardised_with_the_training_part_only()
    {
        // Training x: 1, 2, 3, 6: mean 3, squared deviations 4 + 1 + 0 + 9 = 14, population variance 14 / 4 = 3.5.
        // Training y is constant 5: scale 1, so it is only centred. The test row (4, 7) uses the same figures.
        var train = Write("scale.csv", "x,y,label\n1,5,0\n2,5,1\n3,5,0\n6,5,1\n");
        var test = Write("scale-test.csv", "x,y,label\n4,7,1\n");
        var source = new CsvDataSource(train, "label") { TestFilePath = test };
        using var data = source.Load();

        var s = Math.Sqrt(3.5);
        float[] expectedTrain = [(float)(-2 / s), 0f, (float)(-1 / s), 0f, 0f, 0f, (float)(3 / s), 0f];
        Assert.Equal(expectedTrain, Values(data.Train.Inputs));
        Assert.Equal([(float)(1 / s), 2f], Values(data.Test.Inputs));
        Assert.Equal([3.0, 5.0], source.Standardization!.Means);
        Assert.Equal([s, 1.0], source.Standardization.Scales);
        Assert.True(source.Standardize, "standardisation is on by default");
    }

    [Fact]
    public void Standardization_applies_to_raw_inputs_as_to_the_training_inputs()
    {
        var standardization = new FeatureStandardization([3.0, 5.0], [2.0, 0.5]);
        using var raw = tensor(new float[] { 7, 4, 1, 6 }, [2, 2]);
        using var scaled = standardization.Apply(raw);
        Assert.Equal([2f, -2f, -1f, 2f], Values(scaled));
    }

    [Theory]
    [InlineData(0.2, 2, 1)] // class a: round(10 * 0.2) = 2; b: round(5 * 0.2) = 1; c: round(0.2) = 0
    [InlineData(0.5, 5, 3)] // a: 5; b: round(2.5) = 3, halves away from zero; c: its only row stays in training
    [InlineData(0.95, 9, 4)] // a: round(9.5) = 10 but capped at 9, b: round(4.75) = 5 capped at 4: one row each stays
    public void Without_a_test_file_each_class_holds_out_its_share_of_rows(double fraction, int testA, int testB)
    {
        // Ten rows of class a, five of b, one of c; each row's feature is its own number, 1 to 16.
        var text = new StringBuilder("row,class\n");
        for (var row = 1; row <= 16; row++)
        {
            text.Append(row).Append(',').Append(row <= 10 ? "a" : row <= 15 ? "b" : "c").Append('\n');
        }

        var path = Write("strata.csv", text.ToString());
        var source = new CsvDataSource(path, "class") { TestFraction = fraction, Standardize = false };
        using var data = source.Load();

        var testLabels = Labels(data.Test);
        Assert.Equal(testA, testLabels.Count(l => l == 0));
        Assert.Equal(testB, testLabels.Count(l => l == 1));
        Assert.Equal(0, testLabels.Count(l => l == 2));
        Assert.Equal(16 - testA - testB, data.Train.Count);

        var trainRows = Values(data.Train.Inputs);
        var testRows = Values(data.Test.Inputs);
        Assert.Equal(Enumerable.Range(1, 16).Select(r => (float)r), trainRows.Concat(testRows).Order());
        Assert.Equal(trainRows.Order(), trainRows);
        Assert.Equal(testRows.Order(), testRows);
        Assert.All(trainRows.Zip(Labels(data.Train)), p => Assert.Equal(p.First <= 10 ? 0 : p.First <= 15 ? 1 : 2, p.Second));

        using var again = new CsvDataSource(path, "class") { TestFraction = fraction, Standardize = false }.Load();
        Assert.Equal(testRows, Values(again.Test.Inputs));
    }

    [Fact]
    public void A_test_fraction_picks_rows_by_a_permutation_not_the_first_or_last_rows()
    {
        var text = new StringBuilder("row,class\n");
        for (var row = 1; row <= 100; row++)
        {
            text.Append(row).Append(",0\n").Append(row + 100).Append(",1\n");
        }

        using var data = new CsvDataSource(Write("many.csv", text.ToString()), "class") { Standardize = false }.Load();
        var test = Values(data.Test.Inputs);
        Assert.Equal(40, test.Length);
        Assert.Contains(test, r => r <= 50);
        Assert.Contains(test, r => r > 50 && r <= 100);
        Assert.Contains(test, r => r > 100 && r <= 150);
        Assert.Contains(test, r => r > 150);
    }

    [Fact]
    public void A_gzipped_file_loads_as_its_plain_text_does()
    {
        var plain = new CsvDataSource(Write("same.csv", SmallTrain), "label") { TestFilePath = Write("same-test.csv", SmallTest) };
        var gzipped = new CsvDataSource(WriteGzip("same.csv.gz", SmallTrain), "label") { TestFilePath = WriteGzip("same-test.csv.gz", SmallTest) };
        using var a = plain.Load();
        using var b = gzipped.Load();
        Assert.Equal(Values(a.Train.Inputs), Values(b.Train.Inputs));
        Assert.Equal(Labels(a.Test), Labels(b.Test));
        using var raw = new CsvDataSource(gzipped.FilePath, "label") { Standardize = false, TestFilePath = gzipped.TestFilePath }.Load();
        Assert.Equal([1f, 10f, 2f, 20f, 3f, 30f, 4f, 40f], Values(raw.Train.Inputs));
        Assert.Equal("same", gzipped.Name);
    }

    [Fact]
    public void The_content_hash_follows_the_bytes_and_every_setting_that_changes_the_examples()
    {
        var path = Write("hash.csv", SmallTrain + "5,50,2\n");
        var testPath = Write("hash-test.csv", SmallTest);
        var hash = new CsvDataSource(path, "label").ContentHash();

        Assert.Matches("^[0-9a-f]{64}$", hash);
        Assert.Equal(hash, new CsvDataSource(path, "label").ContentHash());
        Assert.Equal(hash, new CsvDataSource(path, "label") { Name = "renamed" }.ContentHash());
        Assert.Equal(hash, new CsvDataSource(path, "label") { TestFraction = 0.2, Standardize = true, Separator = ',' }.ContentHash());

        string[] changed =
        [
            new CsvDataSource(path, "b").ContentHash(),
            new CsvDataSource(path, "label") { FeatureColumns = ["a"] }.ContentHash(),
            new CsvDataSource(path, "label") { FeatureColumns = ["b", "a"] }.ContentHash(),
            new CsvDataSource(path, "label") { TestFraction = 0.25 }.ContentHash(),
            new CsvDataSource(path, "label") { Standardize = false }.ContentHash(),
            new CsvDataSource(path, "label") { Separator = ';' }.ContentHash(),
            new CsvDataSource(path, "label") { TestFilePath = testPath }.ContentHash(),
        ];
        Assert.DoesNotContain(hash, changed);
        Assert.Equal(changed.Length, changed.Distinct().Count());

        // With a test file, the fraction decides nothing; the test file's bytes do.
        Assert.Equal(changed[^1], new CsvDataSource(path, "label") { TestFilePath = testPath, TestFraction = 0.5 }.ContentHash());
        File.WriteAllText(testPath, SmallTest.Replace("60", "61", StringComparison.Ordinal));
        Assert.NotEqual(changed[^1], new CsvDataSource(path, "label") { TestFilePath = testPath }.ContentHash());

        File.WriteAllText(path, SmallTrain + "5,50,3\n");
        Assert.NotEqual(hash, new CsvDataSource(path, "label").ContentHash());
    }

    [Fact]
    public void A_missing_file_is_named_with_what_to_do()
    {
        var path = Path.Combine(folder, "absent.csv");
        var source = new CsvDataSource(path, "label");
        var error = Error(source);
        Assert.Equal(path, error.File);
        Assert.Contains("absent.csv", error.Message);
        Assert.Contains("not found", error.Message);
        Assert.Contains("Check the path", error.Message);
        Assert.Contains("absent.csv", Assert.Throws<DataSetException>(source.ContentHash).Message);
    }

    [Fact]
    public void A_missing_test_file_is_named()
    {
        var test = Path.Combine(folder, "absent-test.csv");
        var error = Error(new CsvDataSource(Write("present.csv", SmallTrain), "label") { TestFilePath = test });
        Assert.Equal(test, error.File);
        Assert.Contains("absent-test.csv: not found", error.Message);
    }

    [Theory]
    [InlineData("")]
    [InlineData("\n\n")]
    public void An_empty_file_is_reported(string text)
    {
        var error = Error(new CsvDataSource(Write("empty.csv", text), "label"));
        Assert.Contains("empty.csv", error.Message);
        Assert.Contains("is empty", error.Message);
        Assert.Contains("header", error.Message);
    }

    [Fact]
    public void A_file_without_a_header_is_recognised_by_its_numeric_first_line()
    {
        var error = Error(new CsvDataSource(Write("headless.csv", "1,2,0\n3,4,1\n"), "label"));
        Assert.Contains("headless.csv", error.Message);
        Assert.Contains("line 1", error.Message);
        Assert.Contains("'label'", error.Message);
        Assert.Contains("no header", error.Message);
    }

    [Fact]
    public void A_label_column_not_in_the_header_lists_the_columns_there_are()
    {
        var error = Error(new CsvDataSource(Write("columns.csv", SmallTrain), "Label"));
        Assert.Contains("columns.csv", error.Message);
        Assert.Contains("line 1", error.Message);
        Assert.Contains("no label column 'Label'", error.Message);
        Assert.Contains("'a', 'b', 'label'", error.Message);
        Assert.Contains("Did you mean 'label'?", error.Message);
    }

    [Fact]
    public void A_feature_column_not_in_the_header_lists_the_columns_there_are()
    {
        var error = Error(new CsvDataSource(Write("features.csv", SmallTrain), "label") { FeatureColumns = ["a", "petal_width"] });
        Assert.Contains("features.csv", error.Message);
        Assert.Contains("line 1", error.Message);
        Assert.Contains("no feature column 'petal_width'", error.Message);
        Assert.Contains("'a', 'b', 'label'", error.Message);
    }

    [Fact]
    public void A_feature_column_missing_from_the_test_file_names_the_test_file()
    {
        var test = Write("short-test.csv", "a,label\n1,0\n");
        var error = Error(new CsvDataSource(Write("full.csv", SmallTrain), "label") { TestFilePath = test });
        Assert.Equal(test, error.File);
        Assert.Contains("no feature column 'b'", error.Message);
        Assert.Contains("'a', 'label'", error.Message);
    }

    [Fact]
    public void A_cell_that_is_not_a_number_is_reported_by_the_line_an_editor_shows_and_its_column()
    {
        // Line 3 is empty and the quoted label on line 4 spans two lines, so the bad cell is on line 6.
        var path = Write("cells.csv", "sepal,petal_width,label\n1,2,x\n\n3,4,\"two\nlines\"\n5,abc,y\n");
        var error = Error(new CsvDataSource(path, "label"));
        Assert.Equal(path, error.File);
        Assert.Contains("cells.csv: line 6, column 'petal_width': 'abc' is not a number", error.Message);
    }

    [Fact]
    public void A_decimal_comma_is_not_a_number_and_the_message_says_why()
    {
        var error = Error(new CsvDataSource(Write("comma.csv", "a;b;label\n1;\"2,5\";0\n"), "label") { Separator = ';' });
        Assert.Contains("line 2, column 'b': '2,5' is not a number", error.Message);
        Assert.Contains("'.' as the decimal point", error.Message);
    }

    [Fact]
    public void An_empty_feature_cell_is_reported_with_its_line_and_column()
    {
        var error = Error(new CsvDataSource(Write("gaps.csv", "a,b,label\n1,2,0\n3,,1\n"), "label"));
        Assert.Contains("gaps.csv: line 3, column 'b': the cell is empty", error.Message);
    }

    [Fact]
    public void An_infinite_value_is_reported_with_its_line_and_column()
    {
        var error = Error(new CsvDataSource(Write("huge.csv", "a,b,label\n1,2,0\n3,1e39,1\n"), "label"));
        Assert.Contains("huge.csv: line 3, column 'b': '1e39' is not a finite float32 number", error.Message);
    }

    [Fact]
    public void An_empty_label_is_reported_with_its_line_and_column()
    {
        var error = Error(new CsvDataSource(Write("unlabelled.csv", "a,b,label\n1,2,0\n3,4,\n"), "label"));
        Assert.Contains("unlabelled.csv: line 3, column 'label': the label is empty", error.Message);
    }

    [Theory]
    [InlineData("a,b,label\n1,2,0\n3,4\n", "line 3 has 2 fields but the header has 3 (too few)")]
    [InlineData("a,b,label\n1,2,0\n3,4,1\n5,6,1,9\n", "line 4 has 4 fields but the header has 3 (too many)")]
    public void A_row_with_the_wrong_number_of_fields_is_reported_by_line(string text, string expected)
    {
        var error = Error(new CsvDataSource(Write("ragged.csv", text), "label"));
        Assert.Contains($"ragged.csv: {expected}", error.Message);
    }

    [Fact]
    public void Malformed_quoting_is_reported_by_line()
    {
        var error = Error(new CsvDataSource(Write("quotes.csv", "a,b,label\n1,2,0\n3,\"4\"x,1\n"), "label"));
        Assert.Contains("quotes.csv: line 3: not valid CSV", error.Message);
    }

    [Theory]
    [InlineData(2)] // cut in the middle of the compressed data
    [InlineData(0)] // only the last 4 bytes (the trailer's size field) missing: every row decompresses
    public void A_cut_gzip_file_is_reported(int divisor)
    {
        var path = WriteGzip("cut.csv.gz", "a,b,label\n" + string.Concat(Enumerable.Range(0, 2000).Select(i => $"{i},{i * 7 % 13},{i % 3}\n")));
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, divisor > 0 ? bytes[..(bytes.Length / divisor)] : bytes[..^4]);
        var error = Error(new CsvDataSource(path, "label"));
        Assert.Equal(path, error.File);
        Assert.Contains("cut.csv.gz: starts like a gzip file but is corrupt or cut short", error.Message);
    }

    [Fact]
    public void A_header_without_rows_is_reported()
    {
        var error = Error(new CsvDataSource(Write("header-only.csv", "a,b,label\n"), "label"));
        Assert.Contains("header-only.csv: has a header but no rows", error.Message);
    }

    [Fact]
    public void A_file_with_another_separator_says_so()
    {
        var error = Error(new CsvDataSource(Write("semicolons.csv", "a;b;label\n1;2;0\n"), "label"));
        Assert.Contains("semicolons.csv: line 1: the header has a single column ('a;b;label')", error.Message);
        Assert.Contains("separator", error.Message);
    }

    [Fact]
    public void A_duplicated_column_name_is_reported_when_it_is_used()
    {
        var error = Error(new CsvDataSource(Write("twice.csv", "a,a,label\n1,2,0\n"), "label"));
        Assert.Contains("twice.csv: line 1: the feature column 'a' appears 2 times in the header (columns 1, 2)", error.Message);
    }

    [Fact]
    public void A_single_class_is_reported()
    {
        var error = Error(new CsvDataSource(Write("one-class.csv", "a,label\n1,cat\n2,cat\n"), "label"));
        Assert.Contains("one-class.csv: column 'label' holds a single class, 'cat'", error.Message);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(1.0)]
    [InlineData(-0.1)]
    [InlineData(1.5)]
    [InlineData(double.NaN)]
    public void A_test_fraction_outside_zero_to_one_is_refused_at_once(double fraction)
    {
        var path = Write("fraction.csv", SmallTrain);
        var error = Assert.Throws<DataSetException>(() => new CsvDataSource(path, "label") { TestFraction = fraction });
        Assert.Equal(path, error.File);
        Assert.Contains("fraction.csv: test fraction", error.Message);
        Assert.Contains("is outside (0, 1)", error.Message);
    }

    [Fact]
    public void The_label_column_listed_as_a_feature_is_refused()
    {
        var path = Write("leak.csv", SmallTrain);
        var error = Assert.Throws<DataSetException>(() => new CsvDataSource(path, "label") { FeatureColumns = ["a", "label"] });
        Assert.Contains("leak.csv: the label column 'label' is also listed as a feature", error.Message);
    }

    [Fact]
    public void Too_few_rows_to_hold_out_a_test_set_are_reported()
    {
        var error = Error(new CsvDataSource(Write("tiny.csv", "a,label\n1,0\n2,1\n"), "label"));
        Assert.Contains("tiny.csv: 2 rows are too few to hold out 0.2 of each class", error.Message);
    }
}
