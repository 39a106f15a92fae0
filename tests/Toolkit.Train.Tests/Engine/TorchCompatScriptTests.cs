using System.Diagnostics;
using System.Security.Cryptography;
using Toolkit.Core.Native;

namespace Toolkit.Train.Tests.Engine;

/// <summary>
/// train/TorchCompat/install.sh, the `make torchsharp` step: on a fresh folder it lays out a loadable copy (patched only
/// where the loader refuses the shipped one), a second run changes nothing, and the NuGet cache's file is never modified.
/// </summary>
public class TorchCompatScriptTests
{
    static string Packages => Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } p ? p
        : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");

    static (int Code, string Output) Sh(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        var output = p.StandardOutput.ReadToEnd() + err.Result;
        p.WaitForExit();
        return (p.ExitCode, output);
    }

    static string Sha(string path) => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(path)));

    [Fact]
    public void Install_script_makes_a_loadable_copy_once_and_leaves_the_package_cache_alone()
    {
        var script = Path.Combine(NativeLibraries.RepoRoot()!, "train/TorchCompat/install.sh");
        var shipped = Path.Combine(Packages, "torchsharp/0.107.0/runtimes/linux-x64/native/libLibTorchSharp.so");
        var before = Sha(shipped);
        var shippedLoads = !Sh("ldd", shipped).Output.Split('\n').Any(l => l.Contains("not found") && !l.Contains("weak version"));
        var dir = Path.Combine(Path.GetTempPath(), $"tk-torchcompat-{Environment.ProcessId}");
        if (Directory.Exists(dir)) Directory.Delete(dir, true);
        try
        {
            var first = Sh(script, Packages, dir);
            Assert.True(first.Code == 0, first.Output);
            Assert.Equal(!shippedLoads, first.Output.Contains("patching"));      // patched exactly where the shipped file is refused
            var copy = Path.Combine(dir, "libLibTorchSharp.so");
            var ldd = Sh("ldd", copy).Output;
            Assert.DoesNotContain(ldd.Split('\n'), l => l.Contains("not found") && !l.Contains("weak version"));
            var stamp = File.GetLastWriteTimeUtc(copy);
            var second = Sh(script, Packages, dir);
            Assert.True(second.Code == 0 && second.Output.Length == 0, $"second run: exit {second.Code}, output '{second.Output}'");
            Assert.Equal(stamp, File.GetLastWriteTimeUtc(copy));
            Assert.Equal(before, Sha(shipped));
        }
        finally { Directory.Delete(dir, true); }
    }
}
