using System.Text;
using FsCheck.Xunit;
using Toolkit.Train.Data;

namespace Toolkit.Train.Tests.Data;

/// <summary>
/// Property tests of the JSONL and CSV readers: a valid file with random bytes changed or inserted (random rows)
/// gives a data set whose report accounts for every row (accepted + bad = read), each bad row at a line of the file;
/// no input throws (bad rows are skipped and reported). Case counts are in each [Property(MaxTest = N)].
/// </summary>
public sealed class RowFuzzTests : IDisposable
{
    readonly string dir = Directory.CreateTempSubdirectory("tk-rowfuzz-").FullName;

    public void Dispose() => Directory.Delete(dir, true);

    const string Jsonl = """
        {"prompt": "What is 2+2?", "chosen": " 4", "rejected": " 5"}
        {"prompt": [{"role": "user", "content": "hi"}], "chosen": [{"role": "assistant", "content": "hello"}], "rejected": [{"role": "assistant", "content": "go away"}]}
        {"prompt": "p", "completion": "c", "label": true}
        {"chosen": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "x"}], "rejected": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "y"}]}
        {"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}]}

        """;

    const string Csv = "prompt,chosen,rejected\n\"What is 2+2?\", 4, 5\n\"say \"\"hi\"\"\",\"[{\"\"role\"\": \"\"assistant\"\", \"\"content\"\": \"\"hi\"\"}]\",no\nplain,a,b\n";

    static byte[] Mutate(string valid, int[] positions, byte[] values, byte[] insert, int at)
    {
        var b = new List<byte>(Encoding.UTF8.GetBytes(valid));
        positions ??= [];
        values ??= [];
        for (var k = 0; k < Math.Min(positions.Length, values.Length); k++) b[(int)((uint)positions[k] % (uint)b.Count)] = values[k];
        if (insert is { Length: > 0 }) b.InsertRange((int)((uint)at % (uint)(b.Count + 1)), insert);
        return [.. b];
    }

    void Check(string name, byte[] bytes)
    {
        var path = Path.Combine(dir, name);
        File.WriteAllBytes(path, bytes);
        // lines as an editor (and CsvHelper) counts them: CRLF, a lone CR and LF each end one
        var lines = System.Text.RegularExpressions.Regex.Matches(Encoding.Latin1.GetString(bytes), "\r\n|\r|\n").Count + 1;
        var set = DataReader.Read(path);
        Assert.Equal(set.Report.RowsRead, set.Report.RowsAccepted + set.Report.BadRows);
        Assert.All(set.Report.Errors, e => Assert.InRange(e.Line, 1, lines));
        Assert.All(set.Report.Errors, e => Assert.Equal(path, e.File));
    }

    [Property(MaxTest = 300)]
    public void Jsonl_rows_are_read_or_reported_never_thrown(int[] positions, byte[] values, byte[] insert, int at) =>
        Check("rows.jsonl", Mutate(Jsonl, positions, values, insert, at));

    [Property(MaxTest = 300)]
    public void Csv_records_are_read_or_reported_never_thrown(int[] positions, byte[] values, byte[] insert, int at) =>
        Check("rows.csv", Mutate(Csv, positions, values, insert, at));
}
