using Toolkit.Core.Checkpoints;
using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Toolkit.Cli.Experiment;

/// <summary>
/// What one finished stage left behind: runs/&lt;exp&gt;/stages/&lt;id&gt;.json, written atomically after the stage's
/// output folder was renamed into place. A stage is done exactly when this file exists, its hash matches and its
/// output folder exists.
/// </summary>
/// <param name="Id">Stage id, e.g. "train.dpo-0.1" (also the manifest's file name).</param>
/// <param name="Hash">SHA-256 (hex) of the stage's options and of its dependencies' hashes.</param>
/// <param name="Output">Output folder, relative to the experiment folder.</param>
/// <param name="Options">The options the hash covers, as text.</param>
/// <param name="DependsOn">Ids of the stages whose hashes the hash covers.</param>
/// <param name="StartedUtc">When the stage began (ISO 8601, UTC).</param>
/// <param name="FinishedUtc">When it finished.</param>
/// <param name="Seconds">Wall time, seconds (the last attempt; a resumed training run counts only its resumed part).</param>
/// <param name="PeakRssMb">Peak resident set of the process while the stage ran (VmHWM after a reset at its start), MB; 0 where unknown.</param>
/// <param name="Metrics">Numbers the stage reports (e.g. tokens/s), by name.</param>
public sealed record StageManifest(string Id, string Hash, string Output, IReadOnlyDictionary<string, string> Options, IReadOnlyList<string> DependsOn,
    string StartedUtc, string FinishedUtc, double Seconds, double PeakRssMb, IReadOnlyDictionary<string, double> Metrics);

/// <summary>How a stage call ended.</summary>
public enum StageStatus
{
    /// <summary>Ran now.</summary>
    Ran,
    /// <summary>Done earlier with the same hash: skipped.</summary>
    Cached,
}

/// <summary>What a stage's work function gets: its temporary output folder, and where to put metrics.</summary>
/// <param name="Temp">The folder to write into; renamed to the output folder on success. For resumable stages it
/// survives a kill (its name carries the hash), so the work can continue from what it holds.</param>
/// <param name="Resuming">True when <paramref name="Temp"/> already held files from a killed attempt with the same hash.</param>
public sealed record StageContext(string Temp, bool Resuming)
{
    /// <summary>Numbers to record in the manifest.</summary>
    public Dictionary<string, double> Metrics { get; } = [];
}

/// <summary>
/// Stage cache and atomic execution for one experiment folder. A stage's hash covers its options and its
/// dependencies' hashes, so a changed option reruns that stage and everything downstream, nothing else. Work is done
/// in OUTPUT.partial-HASH12 and renamed to OUTPUT at the end, then the manifest is written (temp, rename): a kill leaves
/// either a finished stage or a partial folder that the next run resumes (training: from its checkpoints) or clears.
/// </summary>
public sealed class StageStore(string root, Action<string>? log = null)
{
    static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The experiment folder (runs/&lt;exp&gt;).</summary>
    public string Root { get; } = Path.GetFullPath(root);

    /// <summary>Stages run or skipped by this store, in order, with their status.</summary>
    public List<(StageManifest Manifest, StageStatus Status)> History { get; } = [];

    string ManifestPath(string id) => Path.Combine(Root, "stages", id + ".json");

    /// <summary>The manifest of a finished stage, or null.</summary>
    public StageManifest? Read(string id)
    {
        var path = ManifestPath(id);
        if (!File.Exists(path)) return null;
        try { return JsonSerializer.Deserialize<StageManifest>(File.ReadAllText(path)); }
        catch (JsonException) { return null; }   // a manifest is written atomically; an unreadable one is treated as absent
    }

    /// <summary>SHA-256 of <paramref name="options"/> (sorted) and the hashes of <paramref name="dependsOn"/> (which must be done).</summary>
    public string Hash(string id, IReadOnlyDictionary<string, string> options, IReadOnlyList<string> dependsOn)
    {
        var sb = new StringBuilder().Append("stage ").Append(id).Append('\n');
        foreach (var (k, v) in options.OrderBy(kv => kv.Key, StringComparer.Ordinal)) sb.Append(k).Append('=').Append(v).Append('\n');
        foreach (var d in dependsOn) sb.Append("dep ").Append(d).Append(' ').Append(Read(d)?.Hash ?? throw new InvalidOperationException($"stage {id} depends on {d}, which has not run")).Append('\n');
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(sb.ToString())));
    }

    /// <summary>
    /// Runs stage <paramref name="id"/> unless it is done with the same hash. <paramref name="work"/> writes into the
    /// context's temporary folder; on success it becomes <paramref name="output"/> (relative to <see cref="Root"/>).
    /// With <paramref name="resumable"/> a partial folder of the same hash is kept for the work to continue from.
    /// </summary>
    public StageManifest Run(string id, string output, IReadOnlyDictionary<string, string> options, IReadOnlyList<string> dependsOn,
        Action<StageContext> work, bool resumable = false)
    {
        var hash = Hash(id, options, dependsOn);
        var final = Path.Combine(Root, output);
        if (Read(id) is { } done && done.Hash == hash && Directory.Exists(final))
        {
            History.Add((done, StageStatus.Cached));
            log?.Invoke(Inv($"{id}: cached ({done.Seconds:F1} s at {done.FinishedUtc})"));
            return done;
        }
        var temp = $"{final}.partial-{hash[..12]}";
        Directory.CreateDirectory(Path.GetDirectoryName(final)!);
        foreach (var stale in Directory.GetDirectories(Path.GetDirectoryName(final)!, Path.GetFileName(final) + ".partial-*"))
            if (stale != temp || !resumable) Directory.Delete(stale, recursive: true);
        var resuming = Directory.Exists(temp) && Directory.EnumerateFileSystemEntries(temp).Any();
        Directory.CreateDirectory(temp);
        log?.Invoke($"{id}: {(resuming ? "resuming" : "running")}");
        var context = new StageContext(temp, resuming);
        var started = DateTime.UtcNow;
        ResetPeakRss();
        var clock = Stopwatch.StartNew();
        work(context);
        var seconds = clock.Elapsed.TotalSeconds;
        var peak = Status("VmHWM:");

        // 1) the output folder, 2) the manifest: a kill between the two reruns the stage (its output is replaced).
        if (Directory.Exists(final)) Directory.Delete(final, recursive: true);
        Directory.Move(temp, final);
        var manifest = new StageManifest(id, hash, output, new SortedDictionary<string, string>(options.ToDictionary(), StringComparer.Ordinal), dependsOn,
            started.ToString("O", CultureInfo.InvariantCulture), DateTime.UtcNow.ToString("O", CultureInfo.InvariantCulture), seconds, peak, context.Metrics);
        AtomicFile.WriteAllText(ManifestPath(id), JsonSerializer.Serialize(manifest, Indented));
        History.Add((manifest, StageStatus.Ran));
        log?.Invoke(Inv($"{id}: done in {seconds:F1} s"));
        return manifest;
    }

    /// <summary>Resets the process's peak RSS to its current RSS (Linux: 5 → /proc/self/clear_refs); a no-op elsewhere.</summary>
    static void ResetPeakRss()
    {
        try { File.WriteAllText("/proc/self/clear_refs", "5"); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    /// <summary>A kB field of /proc/self/status in MB, or 0.</summary>
    static double Status(string field)
    {
        if (!File.Exists("/proc/self/status")) return 0;
        var line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith(field, StringComparison.Ordinal));
        return line is null ? 0 : double.Parse(line[field.Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) / 1024.0;
    }

    static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
