using System.CommandLine;
using Toolkit.Cli.Experiment;

namespace Toolkit.Cli.Commands;

/// <summary>
/// `toolkit experiment run experiment.yaml [--runs DIR]`: a declared study (SFT, preference runs, quantized variants,
/// questions, judges, gate) run as cached stages under DIR/&lt;name&gt;/, ending in report.html and report.md.
/// </summary>
static class ExperimentCommand
{
    /// <summary>The --runs help.</summary>
    public const string RunsHelp = "Folder under which the study's folder (its name) is written; a rerun skips every stage already done with the same inputs and options.";

    public static Command Create()
    {
        var file = new Argument<string>("experiment.yaml") { Description = "The study: name, data, base (SFT model or how to train it), runs (method, beta, options), quantize, answers, judges, gate. `toolkit demo` runs the embedded one." };
        var runs = new Option<string>("--runs") { Description = RunsHelp, DefaultValueFactory = _ => "runs" };
        var run = new Command("run", "Run a study: every stage cached by a hash of its inputs and options (a changed option reruns that stage and what depends on it), resumable after a kill; writes report.html and report.md.") { file, runs };
        run.SetAction(parse =>
        {
            var study = StudyReader.ReadFile(parse.GetValue(file)!);
            Run(study, parse.GetValue(runs)!);
            return 0;
        });
        return new Command("experiment", "Declared preference-tuning studies: SFT vs DPO vs SimPO, β ablations, quantized variants, judged and gated, in one report.") { run };
    }

    /// <summary>Runs <paramref name="study"/> under <paramref name="runsRoot"/> and prints the stage table, the outcome table and the verdict.</summary>
    public static StudyResult Run(Study study, string runsRoot)
    {
        OutputPaths.RequireFolder(runsRoot, "--runs");
        var result = new StudyRunner(study, runsRoot).Run();
        StudyReport.Print(study, result);
        return result;
    }
}
