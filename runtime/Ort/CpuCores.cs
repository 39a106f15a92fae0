using System.Globalization;

namespace Toolkit.Runtime.Ort;

/// <summary>
/// The toolkit's one rule for ONNX Runtime's intra-op thread count, used by <c>toolkit export</c> (written into
/// genai_config.json) and by the loaders (<see cref="Generation.Model"/>, <see cref="SessionSettings"/>) when no count
/// is given: one thread per physical core as the operating system reports the topology, at most
/// <see cref="MaxDefaultThreads"/> (ORT-GenAI's own cap).
/// <para>
/// Why not leave it to ONNX Runtime (<c>intra_op_num_threads: 0</c>): ONNX Runtime 1.31 takes the physical core count
/// from the cpuinfo library, which decodes it from CPUID, not from the kernel. Hypervisors may report CPUID topology
/// that does not match the vCPUs: on the 2-vCPU AMD VMs here CPUID leaf 1 announces 254 logical ids per package and
/// leaf 0x80000008 one core, so cpuinfo sees one core with two SMT threads (its <c>cpu-info</c> tool prints
/// "0: 2 processors (0-1)"), while Linux (sysfs core_id 0 and 1, lscpu "1 thread per core") reports two cores. ONNX
/// Runtime then runs one thread (measured: no worker thread created), and ORT-GenAI's default when the field is
/// absent, half the hardware threads, is one thread too. No session option counts cores any other way, so a folder
/// that must run on all cores in plain ORT-GenAI has to carry a number.
/// </para>
/// </summary>
public static class CpuCores
{
    /// <summary>Upper bound of <see cref="DefaultIntraOpThreads"/>: ORT-GenAI caps its own default at 16 (model.cpp).</summary>
    public const int MaxDefaultThreads = 16;

    /// <summary>
    /// Physical cores this process may use: distinct (physical_package_id, core_id) pairs of the CPUs in
    /// /sys/devices/system/cpu (Linux), bounded by <see cref="Environment.ProcessorCount"/> (which honours the affinity
    /// mask and a cgroup CPU quota); <see cref="Environment.ProcessorCount"/> where sysfs cannot be read. At least 1.
    /// </summary>
    public static int Physical { get; } = CountPhysical();

    /// <summary>The intra-op thread count the toolkit writes and loads by default: min(<see cref="Physical"/>, 16).</summary>
    public static int DefaultIntraOpThreads => Math.Min(Physical, MaxDefaultThreads);

    /// <summary><see cref="Physical"/> computed from the sysfs topology directory <paramref name="cpuRoot"/> (for tests).</summary>
    internal static int CountPhysical(string cpuRoot = "/sys/devices/system/cpu")
    {
        var logical = Math.Max(1, Environment.ProcessorCount);
        try
        {
            if (!Directory.Exists(cpuRoot)) return logical;
            var cores = new HashSet<(string Package, string Core)>();
            foreach (var dir in Directory.EnumerateDirectories(cpuRoot, "cpu*"))
            {
                var name = Path.GetFileName(dir);
                if (name.Length <= 3 || !int.TryParse(name.AsSpan(3), NumberStyles.None, CultureInfo.InvariantCulture, out _)) continue;
                var online = Path.Combine(dir, "online");
                if (File.Exists(online) && File.ReadAllText(online).Trim() == "0") continue;
                var topology = Path.Combine(dir, "topology");
                var core = Path.Combine(topology, "core_id");
                var package = Path.Combine(topology, "physical_package_id");
                if (!File.Exists(core)) continue;
                cores.Add((File.Exists(package) ? File.ReadAllText(package).Trim() : "0", File.ReadAllText(core).Trim()));
            }
            return cores.Count == 0 ? logical : Math.Clamp(cores.Count, 1, logical);
        }
        catch (IOException) { return logical; }
        catch (UnauthorizedAccessException) { return logical; }
    }
}
