using System.CommandLine;
using System.Globalization;
using Spectre.Console;
using Toolkit.Train.Distributed;
using Toolkit.Train.Training;

namespace Toolkit.Cli.Commands;

/// <summary>
/// `toolkit train sft|dpo|simpo|ipo|orpo|kto --model DIR|--preset tiny --data FILE --out DIR [options]` or
/// `--config run.yaml` (flags given on the command line override the file). Every option, its flag and its help come
/// from the options records' [Option] attributes (Toolkit.Train.Training.TrainOptions), the same words the YAML reader
/// and the docs use. Shows a progress bar (step, loss, accuracy, tokens/s, ETA) on a terminal, one line per step otherwise.
/// </summary>
static class TrainCommand
{
    public static Command Create()
    {
        var train = new Command("train", "Train a chat model: SFT, then DPO / SimPO / IPO / ORPO / KTO, with metrics, checkpoints and resume.");
        train.Subcommands.Add(Sub("sft", "Supervised fine-tuning: NLL of the assistant / completion tokens.", () => new SftOptions()));
        train.Subcommands.Add(Sub("dpo", "Direct Preference Optimization (Rafailov et al. 2023) on {prompt, chosen, rejected} pairs; loss_type picks variants (robust, hinge, sigmoid+sft = RPO).", () => PreferenceOptions.For("dpo")));
        train.Subcommands.Add(Sub("simpo", "SimPO (Meng et al. 2024): length-normalized margin, no reference model.", () => PreferenceOptions.For("simpo")));
        train.Subcommands.Add(Sub("ipo", "IPO (Azar et al. 2024): squared loss to a 1/(2β) margin on length-normalized log-ratios.", () => PreferenceOptions.For("ipo")));
        train.Subcommands.Add(Sub("orpo", "ORPO (Hong et al. 2024): NLL + odds-ratio term, no reference model.", () => PreferenceOptions.For("orpo")));
        train.Subcommands.Add(Sub("kto", "KTO (Ethayarajh et al. 2024) on unpaired {prompt, completion, label} rows.", () => PreferenceOptions.For("kto")));
        return train;
    }

    static Command Sub(string name, string description, Func<TrainOptions> defaults)
    {
        var d = defaults();
        var config = new Option<string?>("--config") { Description = "YAML file of options (the keys below, e.g. learning_rate: 1e-6); flags given on the command line override it." };
        var command = new Command(name, description) { config };
        var bound = new List<(OptionBinder.Entry Entry, Option Option)>();
        foreach (var e in OptionBinder.Entries(d.GetType()))
        {
            var help = $"{e.Option.Help} [yaml: {e.Option.Key}; default: {(e.Format(d) is { Length: > 0 } v ? v : "none")}]";
            Option option = e.ValueType == typeof(bool)
                ? new Option<bool>(e.Option.Flag, e.Option.Aliases) { Description = help, Arity = ArgumentArity.ZeroOrOne }
                : new Option<string?>(e.Option.Flag, e.Option.Aliases) { Description = help, HelpName = e.ValueType == typeof(string) ? "text" : e.ValueType.IsEnum ? OptionBinder.EnumWords(e.ValueType).Replace(", ", "|") : e.ValueType.Name.ToLowerInvariant() };
            command.Options.Add(option);
            bound.Add((e, option));
        }
        command.SetAction(parse =>
        {
            var options = defaults();
            if (parse.GetValue(config) is { } path) options = ConfigFile.Apply(options, path);
            foreach (var (e, option) in bound)
            {
                if (parse.GetResult(option) is not { Implicit: false } given) continue;
                var text = option is Option<bool> b ? (parse.GetValue(b) ? "true" : "false") : parse.GetValue((Option<string?>)option);
                options = OptionBinder.With(options, e, text, e.Option.Flag);
            }
            return Run(options);
        });
        return command;
    }

    static int Run(TrainOptions options)
    {
        // data parallel (issue 15): --nproc N relaunches this command under mpirun; a rank started by mpirun joins the job
        if (options.Nproc > 1 && !MpiWorld.LaunchedByMpirun) return MpiLauncher.Relaunch(options.Nproc, s => AnsiConsole.WriteLine(s));
        using var parallel = DataParallel.FromEnvironment(TimeSpan.FromSeconds(options.CollectiveTimeout), options.ChecksumSteps);
        if (parallel is null) return RunRank(options, null);
        if (options.Nproc > 1 && options.Nproc != parallel.Size)
            throw new ArgumentException($"--nproc {options.Nproc} but mpirun started {parallel.Size} ranks. HINT: under your own mpirun, leave --nproc out (or give the same N)");
        if (options.Threads == 0) options = options with { Threads = parallel.ThreadsPerRank };   // the cores shared among this machine's ranks
        return parallel.World.RunOrAbort(() => RunRank(options, parallel));
    }

    static int RunRank(TrainOptions options, DataParallel? parallel)
    {
        var writer = parallel?.IsWriter ?? true;
        void Log(string s) { if (writer) AnsiConsole.WriteLine(s); }   // data parallel: rank 0 speaks for the job
        if (options.OutputDir is { Length: > 0 } outDir) OutputPaths.RequireFolder(outDir, "--out");   // before any work
        using var setup = TrainingSetup.Build(options, Log);
        var trainer = setup.CreateTrainer(Log);
        trainer.Parallel = parallel;
        if (parallel is not null)
        {
            Log($"data parallel: {parallel.Size} ranks ({parallel.World.Host} rank {parallel.Rank}), {options.Threads} threads each; global micro-batch {options.PerDeviceTrainBatchSize}");
            if (!writer) { trainer.Run(); return 0; }
        }
        TrainResult result;
        if (Console.IsOutputRedirected)
        {
            trainer.OnStep = r => Console.Error.WriteLine(Line(r));   // progress: stderr
            result = trainer.Run();
        }
        else
        {
            result = AnsiConsole.Progress()
                .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
                .Start(ctx =>
                {
                    var task = ctx.AddTask($"train {options.Command}", maxValue: trainer.TotalSteps);
                    trainer.OnStep = r =>
                    {
                        task.Value = r.Step;
                        task.Description = Markup.Escape(Line(r));
                    };
                    return trainer.Run();
                });
        }
        AnsiConsole.WriteLine($"done: {result.Steps} steps{(result.EarlyStopped ? " (early stopped)" : "")}" +
            (result.BestEvalLoss is { } best ? $", best eval_loss {best:G5} at step {result.BestStep}" : "") +
            $"; model, metrics.jsonl, metrics.csv and metrics.svg in {result.OutputDir}");
        return 0;
    }

    static string Line(StepReport r)
    {
        string F(string key, string format) => r.Metrics.TryGetValue(key, out var v) ? v.ToString(format, CultureInfo.InvariantCulture) : "-";
        var acc = r.Metrics.ContainsKey("rewards/accuracies") ? $" acc {F("rewards/accuracies", "F2")}" : "";
        var eval = r.Metrics.ContainsKey("eval_loss") ? $" eval_loss {F("eval_loss", "F4")}" : "";
        return $"step {r.Step}/{r.TotalSteps} loss {F("loss", "F4")}{acc}{eval} {F("tokens/s", "F0")} tok/s eta {r.Eta:hh\\:mm\\:ss}";
    }
}
