using System.Text;

namespace Toolkit.Core.Checkpoints;

/// <summary>
/// Whole text files written so that a reader never sees a partial one: through <see cref="SafetensorsWriter.WriteAtomically"/>
/// (a temporary file beside the target, owned by <see cref="TempFiles"/>, flushed to disk, then renamed over it).
/// UTF-8 without BOM, "\n" line ends.
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
        SafetensorsWriter.WriteAtomically(path, stream =>
        {
            using var writer = new StreamWriter(stream, Utf8, bufferSize: 1 << 16, leaveOpen: true) { NewLine = "\n" };
            foreach (var line in lines) writer.WriteLine(line);
        });
}
