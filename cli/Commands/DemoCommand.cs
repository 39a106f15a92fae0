using System.CommandLine;
using Spectre.Console;
using Toolkit.Cli.Demo;
using Toolkit.Train.Data.Synthetic;

namespace Toolkit.Cli.Commands;

/// <summary>`toolkit demo`: the main job on the embedded default, step by step, in a work folder (default runs/demo).</summary>
static class DemoCommand
{
    public static Command Create()
    {
        var work = new Option<string>("--work") { Description = "Folder for the demo's outputs (created; reused runs are overwritten).", DefaultValueFactory = _ => "runs/demo" };
        var command = new Command("demo", "Run the pipeline on the embedded default: engines, tokenizer and chat template, SFT then DPO of the tiny preset, export and judged generations on ONNX Runtime.") { work };
        command.SetAction(parse =>
        {
            var dir = Directory.CreateDirectory(parse.GetValue(work)!).FullName;
            AnsiConsole.Write(new Rule("[yellow]1. engines: libtorch and ONNX Runtime[/]").LeftJustified());
            EnginesDemo.Run(dir);
            var task = new SyntheticTask();
            AnsiConsole.Write(new Rule("[yellow]2. tokenizer and chat template[/]").LeftJustified());
            var tokenizer = TokenizerDemo.Run(dir, task, vocabSize: 4096);
            PreferenceDemo.Run(dir, task, tokenizer);
            return 0;
        });
        return command;
    }
}
