using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;

namespace Toolkit.Core.Checkpoints;

/// <summary>
/// Temporary files written beside an output before it is renamed into place (atomic writes). No temporary file
/// outlives its process: a failure deletes it (the writer's catch), a normal exit, SIGTERM or Ctrl-C deletes every
/// one still open (<see cref="AppDomain.ProcessExit"/>), and one left by a process killed with SIGKILL is removed by
/// the next write to the same output, since its name carries the dead process's id:
/// <c>.NAME.PID.GUID.tmp</c> in the output's folder.
/// </summary>
public static class TempFiles
{
    static readonly ConcurrentDictionary<string, byte> Live = new(StringComparer.Ordinal);

    static TempFiles() => AppDomain.CurrentDomain.ProcessExit += (_, _) => DeleteAll();

    /// <summary>
    /// A fresh temporary path beside <paramref name="fullPath"/>, registered for deletion at exit; leftovers of dead
    /// processes for the same output are deleted first.
    /// </summary>
    public static string Beside(string fullPath)
    {
        var dir = Path.GetDirectoryName(fullPath)!;
        var name = Path.GetFileName(fullPath);
        SweepStale(dir, name);
        var temp = Path.Combine(dir, $".{name}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        Live[temp] = 0;
        return temp;
    }

    /// <summary>Forgets <paramref name="temp"/> (renamed into place) and deletes it if it still exists (failure).</summary>
    public static void Release(string temp)
    {
        Live.TryRemove(temp, out _);
        try { File.Delete(temp); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    /// <summary>Deletes <c>.NAME.PID.*.tmp</c> files in <paramref name="dir"/> whose process is gone.</summary>
    public static void SweepStale(string dir, string name)
    {
        if (!Directory.Exists(dir)) return;
        foreach (var file in Directory.EnumerateFiles(dir, $".{name}.*.tmp"))
        {
            var parts = Path.GetFileName(file)[(name.Length + 2)..].Split('.');
            if (parts.Length != 3 || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var pid) || IsAlive(pid)) continue;
            try { File.Delete(file); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    static bool IsAlive(int pid)
    {
        if (pid == Environment.ProcessId) return true;
        try
        {
            using var p = Process.GetProcessById(pid);
            return !p.HasExited;
        }
        catch (ArgumentException) { return false; }
        catch (InvalidOperationException) { return false; }
    }

    static void DeleteAll()
    {
        foreach (var temp in Live.Keys)
            try { File.Delete(temp); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
