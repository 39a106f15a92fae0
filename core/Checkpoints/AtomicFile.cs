using System.Text;

namespace Toolkit.Core.Checkpoints;

/// <summary>
/// Whole files written so that a reader never sees a partial one: through <see cref="SafetensorsWriter.WriteAtomically"/>
/// (a temporary file beside the target, owned by <see cref="TempFiles"/>, flushed to disk, then renamed over it). A write
/// that fails midway leaves the old file as it was and no temporary file. Text is UTF-8 without BOM, "\n" line ends.
/// Every file the toolkit writes goes through this class (or <see cref="SafetensorsWriter"/> / <c>OnnxModelWriter</c>,
/// which use the same primitive); the one exception is a log appended line by line while a run goes (metrics.jsonl,
/// answers.jsonl), whose reader drops a torn last line.
/// </summary>
public static class AtomicFile
{
    static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false);

    /// <summary>Writes <paramref name="text"/> to <paramref name="path"/> (folders created).</summary>
    /// <exception cref="IOException">the folder cannot be written; no partial file is left.</exception>
    public static void WriteAllText(string path, string text) =>
        SafetensorsWriter.WriteAtomically(path, stream => stream.Write(Utf8.GetBytes(text)));

    /// <summary>Writes each of <paramref name="lines"/> followed by "\n" to <paramref name="path"/> (folders created).</summary>
    /// <exception cref="IOException">the folder cannot be written; no partial file is left.</exception>
    public static void WriteAllLines(string path, IEnumerable<string> lines) =>
        Write(path, stream =>
        {
            using var writer = new StreamWriter(stream, Utf8, bufferSize: 1 << 16, leaveOpen: true) { NewLine = "\n" };
            foreach (var line in lines) writer.WriteLine(line);
        });

    /// <summary>Writes <paramref name="bytes"/> to <paramref name="path"/> (folders created).</summary>
    /// <exception cref="IOException">the folder cannot be written; no partial file is left.</exception>
    public static void WriteAllBytes(string path, byte[] bytes) =>
        SafetensorsWriter.WriteAtomically(path, stream => stream.Write(bytes));

    /// <summary>
    /// Runs <paramref name="write"/> on the stream of a temporary file and renames it to <paramref name="path"/>
    /// (folders created); for writers that stream (JSON, CSV, binary). <paramref name="write"/> need not flush or close
    /// the stream; an exception from it leaves the old file intact and is rethrown.
    /// </summary>
    public static void Write(string path, Action<Stream> write) => SafetensorsWriter.WriteAtomically(path, write);

    /// <summary>Copies <paramref name="source"/> to <paramref name="destination"/> (replaced whole; folders created).</summary>
    /// <exception cref="FileNotFoundException">the source is missing; the destination is left as it was.</exception>
    public static void Copy(string source, string destination) =>
        SafetensorsWriter.WriteAtomically(destination, stream =>
        {
            using var src = new FileStream(source, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
            src.CopyTo(stream);
        });
}
