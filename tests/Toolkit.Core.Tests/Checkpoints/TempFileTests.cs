using Toolkit.Core.Checkpoints;

namespace Toolkit.Core.Tests.Checkpoints;

/// <summary>No temporary file of an atomic write outlives its process: a failed write removes its own, and one left by a killed process is removed by the next write.</summary>
public sealed class TempFileTests
{
    [Fact]
    public void A_failed_write_leaves_no_temporary_file()
    {
        using var dir = new TempFolder();
        Assert.Throws<InvalidOperationException>(() =>
            SafetensorsWriter.WriteAtomically(dir.File("model.onnx"), s => { s.Write(new byte[1 << 20]); throw new InvalidOperationException("disk full"); }));
        Assert.Empty(Directory.GetFileSystemEntries(dir.Path));
    }

    [Fact]
    public void A_temporary_file_of_a_killed_process_is_removed_by_the_next_write_and_a_live_ones_is_kept()
    {
        using var dir = new TempFolder();
        var dead = dir.File($".model.onnx.{int.MaxValue - 7}.{Guid.NewGuid():N}.tmp");          // no such process
        var live = dir.File($".model.onnx.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");      // this one: still writing
        File.WriteAllBytes(dead, new byte[1 << 20]);
        File.WriteAllBytes(live, [1]);
        SafetensorsWriter.WriteAtomically(dir.File("model.onnx"), s => s.Write([1, 2, 3]));
        Assert.False(File.Exists(dead));
        Assert.True(File.Exists(live));
        Assert.Equal([1, 2, 3], File.ReadAllBytes(dir.File("model.onnx")));
        Assert.Equal(2, Directory.GetFiles(dir.Path).Length);
    }

    [Fact]
    public void Text_written_atomically_replaces_the_file_as_plain_UTF8_lines_and_a_failed_enumeration_keeps_the_old_file()
    {
        using var dir = new TempFolder();
        var path = dir.File("answers/model.jsonl");                                            // folder created
        AtomicFile.WriteAllLines(path, ["{\"question_id\":1}", "{\"q\":\"答案是7\"}"]);
        Assert.Equal("{\"question_id\":1}\n{\"q\":\"答案是7\"}\n"u8.ToArray(), File.ReadAllBytes(path));   // no BOM, "\n" ends: JSONL readers see two rows

        static IEnumerable<string> Broken() { yield return "half"; throw new IOException("source vanished"); }
        Assert.Throws<IOException>(() => AtomicFile.WriteAllLines(path, Broken()));
        Assert.Equal(2, File.ReadAllLines(path).Length);                                         // the old file is intact
        Assert.Equal(["model.jsonl"], Directory.GetFiles(Path.GetDirectoryName(path)!).Select(Path.GetFileName));
    }

    [Fact]
    public void A_copy_or_a_streamed_write_that_fails_midway_keeps_the_old_file_and_leaves_no_temporary_file()
    {
        using var dir = new TempFolder();
        var source = dir.File("src/tokenizer.json");
        AtomicFile.WriteAllText(source, "{\"version\":\"1.0\"}");
        var copy = dir.File("out/tokenizer.json");                                              // folder created
        AtomicFile.Copy(source, copy);
        Assert.Equal("{\"version\":\"1.0\"}", File.ReadAllText(copy));

        Assert.Throws<FileNotFoundException>(() => AtomicFile.Copy(dir.File("src/gone.json"), copy));   // the source vanished
        Assert.Throws<IOException>(() => AtomicFile.Write(copy, s => { s.Write(new byte[1 << 16]); throw new IOException("disk full"); }));
        Assert.Equal("{\"version\":\"1.0\"}", File.ReadAllText(copy));                          // the old file is intact
        Assert.Equal(["tokenizer.json"], Directory.GetFiles(dir.File("out")).Select(Path.GetFileName));
    }
}
