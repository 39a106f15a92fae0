namespace Toolkit.Cli;

/// <summary>
/// Checks an output path before any work starts, so a long export or generation does not fail at its last step: the
/// message names the option and the path, says what is wrong and what to do.
/// </summary>
static class OutputPaths
{
    /// <summary>A folder to write into (created if missing): not an existing file, and writable.</summary>
    public static void RequireFolder(string path, string option)
    {
        var full = Path.GetFullPath(path);
        if (File.Exists(full))
            throw new ArgumentException($"{option} '{path}' is an existing file, but a folder is written there. HINT: name a folder (new or existing), e.g. {path}.d");
        try
        {
            Directory.CreateDirectory(full);
            Probe(full);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ArgumentException($"{option} '{path}': cannot write into this folder ({e.Message}). HINT: choose a folder you can write to, e.g. under your home folder", e);
        }
    }

    /// <summary>A file to write (replaced if present): not a folder, in a folder that exists or can be made, and writable.</summary>
    public static void RequireFile(string path, string option)
    {
        var full = Path.GetFullPath(path);
        if (Directory.Exists(full))
            throw new ArgumentException($"{option} '{path}' is a folder, but a file is written there. HINT: name a file, e.g. {Path.Combine(path, "answers.jsonl")}");
        var dir = Path.GetDirectoryName(full)!;
        try
        {
            Directory.CreateDirectory(dir);
            Probe(dir);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ArgumentException($"{option} '{path}': cannot write into the folder '{dir}' ({e.Message}). HINT: choose a path you can write to", e);
        }
    }

    static void Probe(string dir)
    {
        var probe = Path.Combine(dir, $".toolkit-write-test.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        using (File.Create(probe, 1, FileOptions.DeleteOnClose)) { }
    }
}
