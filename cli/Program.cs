using System.CommandLine;
using Spectre.Console;
using Toolkit.Cli.Commands;

namespace Toolkit.Cli;

/// <summary>`toolkit`: one verb per pipeline stage. Errors print their message (which names the file and what to do), not a stack trace.</summary>
static class Program
{
    static int Main(string[] args)
    {
        var root = new RootCommand("toolkit: train → export → quantize → evaluate a chat model, offline.")
        {
            DemoCommand.Create(),
            TokenizeCommand.Create(),
            TemplateCommand.Create(),
            TrainTokenizerCommand.Create(),
            InitModelCommand.Create(),
            TrainCommand.Create(),
            ExportCommand.Create(),
            GenerateCommand.Create(),
            ChatCommand.Create(),
            ServeCommand.Create(),
            EvaluateCommand.Create(),
        };
        try
        {
            return root.Parse(args).Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (Exception e) when (Environment.GetEnvironmentVariable("TOOLKIT_DEBUG") is null)
        {
            AnsiConsole.MarkupLineInterpolated($"[red]error:[/] {e.Message}");
            return 1;
        }
    }
}
