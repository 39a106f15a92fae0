using System.Text;
using Toolkit.Train.Data;
using Xunit.Abstractions;

namespace Toolkit.Train.Tests.Data;

/// <summary>
/// One oversized row costs no more memory than the row-size limit: it is skipped unread, reported at its line as
/// RowTooLong, and the rows around it are read as usual (JSONL and CSV).
/// </summary>
public sealed class OversizedRowTests(ITestOutputHelper output) : IDisposable
{
    readonly DirectoryInfo dir = Directory.CreateTempSubdirectory("tk-bigrow-");

    public void Dispose() => dir.Delete(true);

    const long HugeBytes = 80L << 20;   // 80 MiB, ten times the limit

    string Write(string name, string before, string hugePrefix, string hugeSuffix, string after)
    {
        var path = Path.Combine(dir.FullName, name);
        using var f = new FileStream(path, FileMode.Create);
        f.Write(Encoding.UTF8.GetBytes(before + hugePrefix));
        var chunk = Encoding.ASCII.GetBytes(new string('x', 1 << 20));
        for (var k = 0; k < HugeBytes >> 20; k++) f.Write(chunk);
        f.Write(Encoding.UTF8.GetBytes(hugeSuffix + after));
        return path;
    }

    DataSet ReadMeasured(string path)
    {
        GC.Collect();
        var before = GC.GetAllocatedBytesForCurrentThread();
        var set = DataReader.Read(path);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        output.WriteLine($"{Path.GetFileName(path)}: a {HugeBytes >> 20} MiB row, {allocated / 1e6:F1} MB allocated while reading (limit {RowLimits.MaxRowBytes >> 20} MiB)");
        Assert.True(allocated < 5L * RowLimits.MaxRowBytes, $"reading allocated {allocated / 1e6:F0} MB for one oversized row");
        output.WriteLine(set.Report.Summary());
        return set;
    }

    [Fact]
    public void A_huge_jsonl_line_is_skipped_unread_and_reported_at_its_line()
    {
        const string ok = "{\"prompt\": \"p\", \"chosen\": \" a\", \"rejected\": \" b\"}\n";
        var path = Write("big.jsonl", ok + ok, "{\"prompt\": \"p\", \"chosen\": \"", "\", \"rejected\": \" b\"}\n", ok);
        var set = ReadMeasured(path);
        Assert.Equal([1, 2, 4], set.Pairs.Select(p => p.Origin.Line));
        var e = Assert.Single(set.Report.Errors);
        Assert.Equal((3, DataErrorKind.RowTooLong), (e.Line, e.Kind));
        Assert.Contains("RowLimits.MaxRowBytes", e.Problem);
        Assert.Contains($"{path}:3:", set.Report.Summary());
    }

    [Fact]
    public void A_huge_csv_record_is_skipped_unread_and_reported_at_its_line()
    {
        const string ok = "p,a,b\n";
        var path = Write("big.csv", "prompt,chosen,rejected\n" + ok, "p,\"", "\",b\n", ok + ok);
        var set = ReadMeasured(path);
        Assert.Equal([2, 4, 5], set.Pairs.Select(p => p.Origin.Line));
        var e = Assert.Single(set.Report.Errors);
        Assert.Equal((3, DataErrorKind.RowTooLong), (e.Line, e.Kind));
    }

    [Fact]
    public void The_summary_gives_the_line_of_every_dropped_row()
    {
        var path = Path.Combine(dir.FullName, "many.jsonl");
        var sb = new StringBuilder();
        for (var k = 1; k <= 30; k++)
            sb.Append(k is 5 or 17 or 18 or 19 or 25 or >= 27 ? "{\"prompt\": 1}\n" : "{\"prompt\": \"p\", \"chosen\": \" a\", \"rejected\": \" b\"}\n");
        File.WriteAllText(path, sb.ToString());
        var summary = DataReader.Read(path).Report.Summary(maxErrors: 2);
        output.WriteLine(summary);
        Assert.Contains($"{path}:5:", summary);
        Assert.Contains($"{path}:17:", summary);
        Assert.Contains("... and 7 more bad rows, at lines 18-19, 25, 27-30", summary);
    }
}
