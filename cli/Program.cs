using System.CommandLine;
using Toolkit.Cli.Commands;

namespace Toolkit.Cli;

/// <summary>
/// `toolkit`: one verb per pipeline stage. Errors print their message (which names the file and what to do), not a
/// stack trace, on stderr; exit codes are <see cref="ConsoleSetup.ExitCodes"/>.
/// </summary>
static class Program
{
    static int Main(string[] args)
    {
        ConsoleSetup.Configure();
        Toolkit.Train.Engine.TorchSharpNative.TryLoad();   // libtorch 2.10 from build/torchsharp before any torch use (a failure is reported by the first command that needs it)
        var root = new RootCommand("toolkit: train → export → quantize → evaluate a chat model, offline. " + ConsoleSetup.ExitCodes)
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
            QuantizeCommand.Create(),
            EvaluateCommand.Create(),
            ExperimentCommand.Create(),
        };
        try
        {
            var parsed = root.Parse(args);
            if (parsed.Errors.Count > 0)
            {
                foreach (var error in parsed.Errors) ConsoleSetup.WriteError(error.Message);
                Console.Error.WriteLine($"HINT: see `toolkit {parsed.CommandResult.Command.Name} --help`");
                return ConsoleSetup.Usage;
            }
            return parsed.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (Exception e) when (Environment.GetEnvironmentVariable("TOOLKIT_DEBUG") is null)
        {
            var message = e.Message;
            if (e is System.Runtime.InteropServices.ExternalException && message.IndexOf("\nException raised from", StringComparison.Ordinal) is > 0 and var cut)
                message = message[..cut];   // libtorch appends its C++ backtrace; TOOLKIT_DEBUG=1 shows it
            ConsoleSetup.WriteError(message);
            return ConsoleSetup.Failed;
        }
    }
}
