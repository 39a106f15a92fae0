using System.Diagnostics;

namespace Toolkit.Train.Distributed;

/// <summary>
/// <c>--nproc N</c>: runs this very command again as N local ranks under Open MPI's own launcher,
/// <c>mpirun -np N [--allow-run-as-root] [--oversubscribe] --bind-to none dotnet toolkit.dll …</c>, and returns its exit code.
/// The ranks see <c>OMPI_COMM_WORLD_SIZE</c> (<see cref="MpiWorld.LaunchedByMpirun"/>) and do not launch again, so the
/// same command line also works under a user's own <c>mpirun -np N --hostfile hosts …</c> across machines.
/// <c>--bind-to none</c> leaves thread placement to libtorch (mpirun's default binds each rank to one core).
/// </summary>
public static class MpiLauncher
{
    /// <summary>The mpirun argument list that relaunches this process as <paramref name="nproc"/> ranks.</summary>
    public static List<string> Arguments(int nproc)
    {
        var args = new List<string> { "-np", nproc.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind-to", "none" };
        if (Environment.UserName == "root" || Environment.GetEnvironmentVariable("USER") == "root") args.Add("--allow-run-as-root");
        if (nproc > Environment.ProcessorCount) args.Add("--oversubscribe");
        var self = Environment.GetCommandLineArgs();   // [entry .dll (under dotnet) or the app itself, args…]
        var host = Environment.ProcessPath ?? throw new InvalidOperationException("cannot tell which executable runs this process");
        args.Add(host);
        if (Path.GetFileNameWithoutExtension(host) == "dotnet") args.Add(Path.GetFullPath(self[0]));
        args.AddRange(self[1..]);
        return args;
    }

    /// <summary>Runs <c>mpirun</c> with <see cref="Arguments"/> (output passes through) and returns its exit code.</summary>
    /// <exception cref="FileNotFoundException">mpirun is not on PATH (with what to install).</exception>
    public static int Relaunch(int nproc, Action<string>? log = null)
    {
        var mpirun = Find("mpirun") ?? throw new FileNotFoundException(
            "--nproc needs Open MPI's mpirun, which is not on PATH. HINT: `apt-get install -y openmpi-bin libopenmpi-dev` (`make setup` does it), or run without --nproc.");
        var psi = new ProcessStartInfo(mpirun) { UseShellExecute = false };
        foreach (var a in Arguments(nproc)) psi.ArgumentList.Add(a);
        log?.Invoke($"launching {nproc} ranks: {mpirun} {string.Join(' ', psi.ArgumentList)}");
        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {mpirun}");
        p.WaitForExit();
        return p.ExitCode;
    }

    /// <summary>The full path of <paramref name="program"/> on PATH, or null.</summary>
    public static string? Find(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(d => Path.Combine(d, program)).FirstOrDefault(File.Exists);
}
