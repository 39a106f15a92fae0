using System.Diagnostics;
using System.Text.Json.Nodes;
using Toolkit.Core.Native;

namespace Toolkit.Core.Tests.Templates;

/// <summary>One rendering by @huggingface/jinja: the text, or the error message it raised.</summary>
public sealed record OracleResult(string Name, string? Text, string? Error);

/// <summary>
/// Runs tests/oracles/render.mjs (node + @huggingface/jinja 0.5.11 from build/oracles) once per template file.
/// Missing node or package is a failure that says to run `make oracles`, never a skip.
/// </summary>
public static class JinjaOracle
{
    public static string RepoRoot =>
        NativeLibraries.RepoRoot() ?? throw new InvalidOperationException("repository root not found: set TOOLKIT_ROOT to the checkout");

    public static string FixturesDir => Path.Combine(RepoRoot, "tests", "fixtures", "templates");

    public static string NodeModules => Path.Combine(RepoRoot, "build", "oracles", "node_modules");

    public static List<OracleResult> Render(string templatePath, string casesPath)
    {
        var jinja = Path.Combine(NodeModules, "@huggingface", "jinja", "dist", "index.js");
        if (!File.Exists(jinja))
            throw new InvalidOperationException($"oracle package missing: {jinja}\nHINT: run `make oracles` at the repository root (installs @huggingface/jinja 0.5.11 under build/oracles).");
        var psi = new ProcessStartInfo("node")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in new[] { Path.Combine(RepoRoot, "tests", "oracles", "render.mjs"), NodeModules, templatePath, casesPath })
            psi.ArgumentList.Add(a);
        Process p;
        try
        {
            p = Process.Start(psi)!;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException("node not found on PATH; the chat-template oracle needs it.\nHINT: install nodejs and run `make oracles`.", e);
        }
        var stderrTask = p.StandardError.ReadToEndAsync();
        var stdout = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0)
            throw new InvalidOperationException($"render.mjs failed (exit {p.ExitCode}) on {templatePath}:\n{stderrTask.Result}");
        return [.. JsonNode.Parse(stdout)!.AsArray().Select(n => new OracleResult(
            n!["name"]!.GetValue<string>(), n["text"]?.GetValue<string>(), n["error"]?.GetValue<string>()))];
    }
}
