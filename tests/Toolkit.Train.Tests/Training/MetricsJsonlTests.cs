using Toolkit.Train.Training;

namespace Toolkit.Train.Tests.Training;

/// <summary>
/// metrics.jsonl is appended line by line while a run goes: a run killed mid-append leaves a torn last line, which must
/// cost no finished step of the next run, and the trainer's start (fresh or resumed) rewrites the file without it.
/// </summary>
public sealed class MetricsJsonlTests
{
    [Fact]
    public void A_torn_last_line_of_a_killed_run_loses_no_later_step_and_is_dropped_when_the_run_resumes()
    {
        var dir = Directory.CreateTempSubdirectory("tk-metrics-").FullName;
        try
        {
            var log = new MetricsLog(dir);
            log.Append([new("step", 1), new("loss", 0.5)]);
            log.Append([new("step", 2), new("loss", 0.25)]);
            File.AppendAllText(log.JsonlPath, "{\"step\":3,\"loss\":0.1");                  // killed mid-append
            log.Append([new("step", 3), new("loss", 0.125)]);                                  // a later append is not glued onto it
            Assert.Equal([1.0, 2.0, 3.0], log.Read().Select(r => r[0].Value));

            File.AppendAllText(log.JsonlPath, "{\"step\":4,\"lo");                            // killed again; resumed from checkpoint-3
            log.TruncateAfter(3);
            Assert.Equal("{\"step\":1,\"loss\":0.5}\n{\"step\":2,\"loss\":0.25}\n{\"step\":3,\"loss\":0.125}\n", File.ReadAllText(log.JsonlPath));
            log.WriteCsv();
            Assert.Equal(["metrics.csv", "metrics.jsonl"], Directory.GetFiles(dir).Select(Path.GetFileName).Order(StringComparer.Ordinal));   // no temporary file
        }
        finally { Directory.Delete(dir, true); }
    }
}
