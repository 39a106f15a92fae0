using System.CommandLine;
using Toolkit.Cli.Experiment;

namespace Toolkit.Cli.Commands;

/// <summary>
/// `toolkit demo` (what `make demo` runs): the embedded study (cli/Experiment/demo.yaml) over the synthetic bilingual
/// task, through `toolkit experiment run`: tokenizer → SFT → DPO and SimPO runs → export → int8 / int4 variants of the
/// best run → held-out answers → rule judge (+ distilled LLM judge) → gate, best run vs SFT → report.html.
/// </summary>
static class DemoCommand
{
    public static Command Create()
    {
        var runs = new Option<string>("--runs") { Description = ExperimentCommand.RunsHelp, DefaultValueFactory = _ => "runs" };
        var print = new Option<bool>("--print-study") { Description = "Print the embedded study (a starting point for your own experiment.yaml) and exit." };
        var command = new Command("demo", "Run the embedded study: SFT of the tiny preset, DPO and SimPO at several β, int8 / int4 variants of the best run, judged and gated against SFT, one report (runs/demo/report.html).") { runs, print };
        command.SetAction(parse =>
        {
            var study = StudyReader.Demo();
            if (parse.GetValue(print)) { Console.Write(study.Text); return 0; }
            ExperimentCommand.Run(study, parse.GetValue(runs)!);
            return 0;
        });
        return command;
    }
}
