using System.Globalization;
using Toolkit.Train.Training;

namespace Toolkit.Train.Tests.Training;

/// <summary>metrics.csv is written by CsvHelper: a header with a comma, a quote or a newline in a metric name reads back intact, and missing cells stay empty.</summary>
public sealed class MetricsCsvTests
{
    [Fact]
    public void Metrics_csv_quotes_awkward_names_and_reads_back_with_a_csv_reader()
    {
        var dir = Directory.CreateTempSubdirectory("tk-metrics-").FullName;
        try
        {
            var log = new MetricsLog(dir);
            log.Append([new("step", 1), new("loss", 0.5), new("eval \"kl\", nats", 0.25)]);
            log.Append([new("step", 2), new("loss", 0.125), new("odd\nname", -1.5)]);
            log.WriteCsv();
            using var reader = new StreamReader(log.CsvPath);
            using var csv = new CsvHelper.CsvReader(reader, CultureInfo.InvariantCulture);
            var rows = new List<string[]>();
            while (csv.Read()) rows.Add(Enumerable.Range(0, csv.Parser.Count).Select(i => csv.GetField(i)!).ToArray());
            Assert.Equal(["step", "loss", "eval \"kl\", nats", "odd\nname"], rows[0]);
            Assert.Equal(["1", "0.5", "0.25", ""], rows[1]);
            Assert.Equal(["2", "0.125", "", "-1.5"], rows[2]);
        }
        finally { Directory.Delete(dir, true); }
    }
}
