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
}
