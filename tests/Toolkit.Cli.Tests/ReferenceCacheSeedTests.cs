using Toolkit.Cli.Experiment;

namespace Toolkit.Cli.Tests;

/// <summary>
/// The study offers the reference log-prob caches of its finished runs to the next DPO-family run (so the three DPO runs
/// of the demo precompute once): finished runs' files are copied, unfinished runs' are not, a file already there is kept.
/// That the trainer then hits a copied cache is TrainerTests' precompute test.
/// </summary>
public sealed class ReferenceCacheSeedTests : IDisposable
{
    readonly string _root = Directory.CreateTempSubdirectory("tk-refseed-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    string Put(string relative, string text)
    {
        var path = Path.Combine(_root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public void A_finished_runs_cache_is_copied_to_the_next_run_and_nothing_else_is()
    {
        Put("train/dpo-b0.05/ref_logps/ref-logps-aaaa.bin", "finished");
        Put("train/dpo-b0.1.partial-123456789abc/ref_logps/ref-logps-bbbb.bin", "killed");   // an unfinished run
        Put("train/dpo-b0.05/ref_logps/ref-logps-cccc.bin.tmp-42", "half-written");
        Put("train/simpo-b0.1/metrics.jsonl", "{}");                                          // no cache
        Put("next/ref_logps/ref-logps-dddd.bin", "own");
        var next = Path.Combine(_root, "next");

        Assert.Equal(1, StudyRunner.SeedReferenceCache(Path.Combine(_root, "train"), next));
        Assert.Equal(["ref-logps-aaaa.bin", "ref-logps-dddd.bin"], Directory.GetFiles(Path.Combine(next, "ref_logps")).Select(Path.GetFileName).Order());
        Assert.Equal("finished", File.ReadAllText(Path.Combine(next, "ref_logps", "ref-logps-aaaa.bin")));

        Put("train/dpo-b0.05/ref_logps/ref-logps-dddd.bin", "other");   // same name already there: kept as it is
        Assert.Equal(0, StudyRunner.SeedReferenceCache(Path.Combine(_root, "train"), next));
        Assert.Equal("own", File.ReadAllText(Path.Combine(next, "ref_logps", "ref-logps-dddd.bin")));
    }

    [Fact]
    public void No_train_folder_yet_copies_nothing() =>
        Assert.Equal(0, StudyRunner.SeedReferenceCache(Path.Combine(_root, "train"), Path.Combine(_root, "next")));
}
