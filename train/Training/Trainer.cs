using System.Diagnostics;
using System.Text.Json.Nodes;
using Toolkit.Core.Checkpoints;
using static TorchSharp.torch;
using Toolkit.Train.Engine;
using TorchSharp.Modules;

namespace Toolkit.Train.Training;

/// <summary>What the trainer reports after each optimizer step (for progress bars).</summary>
public sealed record StepReport(int Step, int TotalSteps, IReadOnlyDictionary<string, double> Metrics, TimeSpan Elapsed, TimeSpan Eta);

/// <summary>How a run ended.</summary>
public sealed record TrainResult(int Steps, bool EarlyStopped, double? BestEvalLoss, int? BestStep, string OutputDir);

/// <summary>
/// The training loop, shared by every objective. One optimizer step:
/// <list type="number">
/// <item>re-seed libtorch with seed + step (a resumed run draws the same numbers);</item>
/// <item>for each of the A micro-batches (<see cref="DataOrder"/>): forward under bf16 autocast (optional), loss scaled
/// by the micro-batch's share of the step's units (1/A for equal pair batches), backward — so A × b trains like 1 × A·b;</item>
/// <item>clip the global gradient norm (logged before clipping), set the scheduled learning rate, AdamW step;</item>
/// <item>log TRL's metrics, validate every eval_steps (eval_*, eval_kl, train_eval_gap, early stopping), checkpoint every save_steps.</item>
/// </list>
/// A non-finite loss or gradient norm stops the run naming the step, the micro-batch and its examples, after saving
/// metrics and (when the weights are still finite) the pre-step state as a checkpoint.
/// With <see cref="Parallel"/> (several ranks, issue 15) the same loop runs on every rank: each forwards its slice of
/// every global micro-batch with the loss scaled so the averaged gradient is the one-process gradient, gradients are
/// averaged before clipping, metrics are combined, and only rank 0 writes (every line marked "data parallel" below).
/// </summary>
public sealed class Trainer(TrainOptions options, Policy policy, IObjective objective, Action<string>? log = null)
{
    readonly MetricsLog _metrics = new(options.OutputDir!);

    /// <summary>The data-parallel job this trainer is one rank of, or null for one process.</summary>
    public Toolkit.Train.Distributed.DataParallel? Parallel { get; set; }

    bool Writes => Parallel?.IsWriter ?? true;

    /// <summary>Called after every optimizer step.</summary>
    public Action<StepReport>? OnStep { get; set; }

    /// <summary>Called before optimizer step n (1-based) runs; tests use it to inject faults.</summary>
    public Action<int>? BeforeStep { get; set; }

    /// <summary>Stops (as if killed: no final checkpoint or output) after this step; tests use it to simulate a crash.</summary>
    public int? StopAfterStep { get; set; }

    /// <summary>Total optimizer steps this configuration runs.</summary>
    public int TotalSteps
    {
        get
        {
            if (options.MaxSteps > 0) return options.MaxSteps;
            var micro = (objective.TrainCount + options.PerDeviceTrainBatchSize - 1) / options.PerDeviceTrainBatchSize;
            return Math.Max(1, (int)Math.Ceiling(options.NumTrainEpochs * micro / options.GradientAccumulationSteps));
        }
    }

    /// <summary>Runs (or resumes) training to the end; returns how it ended.</summary>
    public TrainResult Run()
    {
        var o = options;
        if (o.Threads > 0) set_num_threads(o.Threads);   // libtorch's thread count is per OS thread: this one runs the steps
        var outDir = o.OutputDir!;
        Directory.CreateDirectory(outDir);
        var order = new DataOrder(objective.TrainCount, o.PerDeviceTrainBatchSize, o.Seed);
        var total = TotalSteps;
        var schedule = LrSchedule.From(o, total);
        var all = policy.Parameters;
        using var opt = CreateOptimizer(all, o);
        policy.Model.GradientCheckpointing = o.GradientCheckpointing;

        // resume: trainable tensors, optimizer moments, step, early-stopping state; the log is cut back to the checkpoint
        var state = new EvalState();
        var start = 0;
        if (o.ResumeFromCheckpoint is { } resume)
        {
            JsonObject s = null!;
            var folder = Checkpoint.ResumeFrom(resume, outDir, f =>   // a corrupt checkpoint is named; "latest" falls back to the previous one
            {
                s = Checkpoint.ReadState(f);   // refuses another checkpoint version first
                Checkpoint.LoadFile(Path.Combine(f, Checkpoint.TrainableFile), policy.LoadState);
                Checkpoint.LoadFile(Path.Combine(f, Checkpoint.OptimizerFile), file => opt.load_state_dict(file));
            }, log);
            start = (int)s["global_step"]!;
            state = EvalState.From(s);
            if (Writes) _metrics.TruncateAfter(start);
            log?.Invoke($"resumed from {folder} at step {start} of {total}");
        }
        else
        {
            if (Checkpoint.List(outDir).LastOrDefault() is { Path: not null } old)
                throw new ArgumentException($"output_dir '{outDir}' already holds {Path.GetFileName(old.Path)} from an earlier run. HINT: continue it with --resume latest, or choose another --out");
            if (Writes) _metrics.TruncateAfter(0);
        }
        Parallel?.Attach([.. policy.Trainable.Select(t => t.Name)], [.. all]);   // data parallel: rank 0's parameters to every rank, gradient buckets

        var clock = Stopwatch.StartNew();
        // train losses since the last validation (for train_eval_gap), rebuilt from the log on resume
        var trainLossWindow = _metrics.Read().Select(r => r.ToDictionary(kv => kv.Key, kv => kv.Value))
            .Reverse().TakeWhile(r => !r.ContainsKey("eval_loss")).Select(r => r.GetValueOrDefault("loss")).Reverse().ToList();
        var step = start;
        var lastSaved = start;
        var early = false;
        while (step < total && !early)
        {
            step++;
            BeforeStep?.Invoke(step);
            var stepClock = Stopwatch.StartNew();
            manual_seed(o.Seed + step);                                                         // 1) seed + step

            // 2) micro-batches: forward, scaled loss, backward
            var micro = Enumerable.Range(0, o.GradientAccumulationSteps).Select(k => order.MicroBatch((long)(step - 1) * o.GradientAccumulationSteps + k)).ToList();
            var units = micro.Select(ix => objective.Units(ix, false)).ToArray();
            var unitTotal = units.Sum();
            var agg = new WeightedMetrics();
            long tokens = 0;
            opt.zero_grad();   // gradients to none: they do not sit through the forward
            for (var k = 0; k < micro.Count; k++)
            {
                using var scope = NewDisposeScope();
                var rows = Parallel?.Shard(micro[k]) ?? micro[k];                               // data parallel: this rank's slice
                if (rows.Length == 0) continue;
                var rowUnits = Parallel is null ? units[k] : objective.Units(rows, false);
                ObjectiveOutput output;
                using (Autocast.Enable(o.UseBf16))
                    output = objective.Forward(policy.Model, rows, validation: false);
                var lossValue = output.Metrics["loss"];
                if (!double.IsFinite(lossValue)) Diverged(step, k, rows, $"loss is {lossValue}", lastSaved, order, state, opt);
                output.Loss.mul(Parallel?.LossScale(rowUnits, unitTotal) ?? units[k] / unitTotal).backward();   // the accumulation scale
                agg.Add(output.Metrics, rowUnits);
                tokens += output.Tokens;
            }

            // 3) (data parallel: average gradients and metrics over the ranks) clip, schedule, update
            using var updateScope = NewDisposeScope();
            if (Parallel is not null)
            {
                Parallel.AverageGradients();
                tokens = (long)agg.Combine(Parallel, tokens, $"step {step} metrics");
            }
            var gradNorm = nn.utils.clip_grad_norm_(all, o.MaxGradNorm > 0 ? o.MaxGradNorm : double.PositiveInfinity);
            if (!double.IsFinite(gradNorm)) Diverged(step, -1, micro.SelectMany(x => x).ToArray(), $"grad_norm is {gradNorm}", lastSaved, order, state, opt);
            var lr = schedule.At(step - 1);
            foreach (var g in opt.ParamGroups) g.LearningRate = lr;
            opt.step();
            Parallel?.AfterStep(step, step == total);   // data parallel: parameter checksum every checksum_steps

            // 4) signals
            var m = new List<KeyValuePair<string, double>>
            {
                new("step", step),
                new("epoch", order.Epoch((long)step * o.GradientAccumulationSteps)),
            };
            m.AddRange(agg.Result());
            m.Add(new("grad_norm", gradNorm));
            m.Add(new("learning_rate", lr));
            m.Add(new("tokens/s", tokens / Math.Max(1e-9, stepClock.Elapsed.TotalSeconds)));
            trainLossWindow.Add(agg.Get("loss"));
            if (objective.ValidationCount > 0 && ((o.EvalSteps > 0 && step % o.EvalSteps == 0) || step == total))
            {
                var eval = Evaluate();
                m.AddRange(eval);
                var evalLoss = eval.First(kv => kv.Key == "eval_loss").Value;
                m.Add(new("train_eval_gap", evalLoss - trainLossWindow.Average()));
                trainLossWindow.Clear();
                early = state.Update(evalLoss, step, o.EarlyStoppingThreshold, o.EarlyStoppingPatience);
                if (early) log?.Invoke($"early stopping at step {step}: eval_loss has not improved by more than {o.EarlyStoppingThreshold} for {o.EarlyStoppingPatience} validations (best {state.Best:G6} at step {state.BestStep})");
            }
            if (Writes) _metrics.Append(m);
            var elapsed = clock.Elapsed;
            var eta = TimeSpan.FromSeconds(elapsed.TotalSeconds / (step - start) * (total - step));
            OnStep?.Invoke(new StepReport(step, total, m.ToDictionary(kv => kv.Key, kv => kv.Value), elapsed, eta));

            if (StopAfterStep == step) return new TrainResult(step, false, state.BestOrNull, state.BestStepOrNull, outDir);
            if (o.SaveSteps > 0 && step % o.SaveSteps == 0 && step < total && !early && Writes)
            {
                SaveCheckpoint(step, order, state, opt);
                lastSaved = step;
            }
        }

        // the end: last checkpoint, the model for use, summaries
        if (!Writes) return new TrainResult(step, early, state.BestOrNull, state.BestStepOrNull, outDir);   // data parallel: rank 0 writes
        if (lastSaved != step) SaveCheckpoint(step, order, state, opt);
        WriteSummaries();
        var final = new JsonObject
        {
            ["global_step"] = step, ["total_steps"] = total, ["early_stopped"] = early,
            ["best_eval_loss"] = state.BestOrNull, ["best_step"] = state.BestStepOrNull, ["command"] = o.Command,
        };
        AtomicFile.WriteAllText(Path.Combine(outDir, Checkpoint.StateFile), final.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
        SaveFinalModel(outDir);
        return new TrainResult(step, early, state.BestOrNull, state.BestStepOrNull, outDir);
    }

    /// <summary>Validation: every validation example once, batches of per_device_eval_batch_size, no gradient; metrics prefixed eval_.</summary>
    public List<KeyValuePair<string, double>> Evaluate()
    {
        var agg = new WeightedMetrics();
        using var _ = no_grad();
        for (var s = 0; s < objective.ValidationCount; s += options.PerDeviceEvalBatchSize)
        {
            if (Parallel is not null && s / options.PerDeviceEvalBatchSize % Parallel.Size != Parallel.Rank) continue;   // data parallel: batch b on rank b mod W
            using var scope = NewDisposeScope();
            var ix = Enumerable.Range(s, Math.Min(options.PerDeviceEvalBatchSize, objective.ValidationCount - s)).ToArray();
            ObjectiveOutput output;
            using (Autocast.Enable(options.UseBf16))
                output = objective.Forward(policy.Model, ix, validation: true);
            agg.Add(output.Metrics, objective.Units(ix, true));
        }
        if (Parallel is not null) agg.Combine(Parallel, 0, "validation metrics");
        return [.. agg.Result().Select(kv => new KeyValuePair<string, double>("eval_" + kv.Key, kv.Value))];
    }

    /// <summary>
    /// One AdamW over <paramref name="all"/> with two parameter groups, as transformers groups them: matrices and
    /// embeddings (ndim ≥ 2) decay by weight_decay, norm weights and biases do not. An empty group is left out.
    /// <see cref="LowPeak.AdamW"/>: TorchSharp's update bit for bit, without its step-long temporaries.
    /// </summary>
    public static AdamW CreateOptimizer(IReadOnlyList<Parameter> all, TrainOptions o)
    {
        var decay = all.Where(p => p.ndim >= 2).ToList();
        var noDecay = all.Where(p => p.ndim < 2).ToList();
        var groups = new List<AdamW.ParamGroup>();
        if (decay.Count > 0) groups.Add(new AdamW.ParamGroup(decay, o.LearningRate, o.AdamBeta1, o.AdamBeta2, o.AdamEpsilon, o.WeightDecay));
        if (noDecay.Count > 0) groups.Add(new AdamW.ParamGroup(noDecay, o.LearningRate, o.AdamBeta1, o.AdamBeta2, o.AdamEpsilon, 0));
        return new LowPeak.AdamW(groups, o.LearningRate, o.AdamBeta1, o.AdamBeta2, o.AdamEpsilon, 0);
    }

    void SaveCheckpoint(int step, DataOrder order, EvalState state, AdamW opt)
    {
        var o = options;
        var micro = (long)step * o.GradientAccumulationSteps;
        var json = new JsonObject
        {
            ["global_step"] = step,
            ["total_steps"] = TotalSteps,
            ["epoch"] = order.Epoch(micro),
            ["data_position"] = new JsonObject { ["micro_batches_done"] = micro, ["epoch"] = micro / order.MicroBatchesPerEpoch, ["micro_batch_in_epoch"] = micro % order.MicroBatchesPerEpoch },
            ["rng"] = $"libtorch re-seeded with seed + step before every step (seed {o.Seed})",
            ["seed"] = o.Seed,
            [Checkpoint.VersionKey] = Checkpoint.Version,
        };
        state.WriteTo(json);
        var path = Checkpoint.Save(o.OutputDir!, step, json, folder =>
        {
            policy.Save(folder);
            policy.SaveState(Path.Combine(folder, Checkpoint.TrainableFile));
            opt.save_state_dict(Path.Combine(folder, Checkpoint.OptimizerFile));
        }, o.SaveTotalLimit);
        WriteSummaries();
        log?.Invoke($"saved {path}");
    }

    void SaveFinalModel(string outDir)
    {
        var tmp = Path.Combine(outDir, ".final.tmp");
        if (Directory.Exists(tmp)) Directory.Delete(tmp, true);
        policy.Save(tmp, options.MergeLora);
        foreach (var dir in Directory.GetDirectories(tmp))
        {
            var target = Path.Combine(outDir, Path.GetFileName(dir));
            if (Directory.Exists(target)) Directory.Delete(target, true);
            Directory.Move(dir, target);
        }
        foreach (var file in Directory.GetFiles(tmp)) File.Move(file, Path.Combine(outDir, Path.GetFileName(file)), overwrite: true);
        Directory.Delete(tmp, true);
        AtomicFile.WriteAllText(Path.Combine(outDir, "train_options.yaml"), OptionBinder.ToYaml(options));
    }

    void WriteSummaries()
    {
        _metrics.WriteCsv();
        MetricsChart.Write(Path.Combine(options.OutputDir!, "metrics.svg"), _metrics.Read());
    }

    /// <summary>Stops the run on a non-finite value: logs it, saves what is safe, throws naming step and batch.</summary>
    void Diverged(int step, int microIndex, IReadOnlyList<int> examples, string what, int lastSaved, DataOrder order, EvalState state, AdamW opt)
    {
        var o = options;
        var globalMicro = (long)(step - 1) * o.GradientAccumulationSteps + Math.Max(0, microIndex);
        if (Writes) { _metrics.Append([new("step", step), new("loss", double.NaN)]); WriteSummaries(); }
        var origins = examples.Take(8).Select(i => objective.Origin(i, false)).ToList();
        var batch = microIndex >= 0 ? $"micro-batch {microIndex + 1} of {o.GradientAccumulationSteps} (global batch {globalMicro})" : "the accumulated batch";
        string saved;
        if (policy.AllFinite())
        {
            // no optimizer step ran for this step: the weights and moments are those after step - 1
            if (lastSaved != step - 1 && step > 1 && Writes) SaveCheckpoint(step - 1, order, state, opt);
            saved = step > 1 ? $"the state before this step is in {Path.Combine(o.OutputDir!, Checkpoint.Name(step - 1))}" : "nothing to save before the first step";
        }
        else saved = $"the weights are no longer finite and were not saved; the last good checkpoint is {(lastSaved > 0 ? Checkpoint.Name(lastSaved) : "none")}";
        var report = new JsonObject
        {
            ["step"] = step, ["micro_batch"] = microIndex + 1, ["global_batch"] = globalMicro, ["problem"] = what,
            ["examples"] = new JsonArray([.. origins.Select(x => (JsonNode)x)]),
        };
        AtomicFile.WriteAllText(Path.Combine(o.OutputDir!, "nan_report.json"), report.ToJsonString());
        throw new TrainingDivergedException(step, microIndex + 1,
            $"training stopped at step {step}, {batch}: {what}. Examples: {string.Join(", ", origins)}{(examples.Count > 8 ? ", ..." : "")}. " +
            $"Metrics are saved; {saved}. HINT: lower learning_rate, keep max_grad_norm > 0, and check these rows for empty or truncated completions");
    }

    /// <summary>Units-weighted means of metrics over micro-batches (or validation batches).</summary>
    sealed class WeightedMetrics
    {
        readonly List<string> _order = [];
        readonly Dictionary<string, (double Sum, double Weight)> _acc = [];

        public void Add(IReadOnlyDictionary<string, double> metrics, double weight)
        {
            foreach (var (k, v) in metrics)
            {
                if (!_acc.TryGetValue(k, out var a)) { _order.Add(k); a = (0, 0); }
                _acc[k] = (a.Sum + v * weight, a.Weight + weight);
            }
        }

        public double Get(string key) => _acc[key].Sum / _acc[key].Weight;

        public IEnumerable<KeyValuePair<string, double>> Result() =>
            _order.Select(k => new KeyValuePair<string, double>(k, Get(k)));

        /// <summary>
        /// Data parallel: sums and weights over the ranks, in a key order every rank agrees on (the sorted union of the
        /// keys every objective logs; a rank whose slice was empty contributes zeros), plus <paramref name="extra"/>
        /// summed; returns the summed extra.
        /// </summary>
        public double Combine(Toolkit.Train.Distributed.DataParallel parallel, double extra, string what)
        {
            var names = parallel.AgreeOnKeys(_order, what);
            var v = new double[2 * names.Count + 1];
            for (var i = 0; i < names.Count; i++)
                if (_acc.TryGetValue(names[i], out var a)) (v[2 * i], v[2 * i + 1]) = (a.Sum, a.Weight);
            v[^1] = extra;
            v = parallel.SumMetrics(v, what);
            var order = _order.Concat(names.Except(_order)).ToList();
            _order.Clear(); _order.AddRange(order);
            for (var i = 0; i < names.Count; i++) _acc[names[i]] = (v[2 * i], v[2 * i + 1]);
            return v[^1];
        }
    }

    /// <summary>Early-stopping bookkeeping (saved in trainer_state.json).</summary>
    sealed class EvalState
    {
        public double Best = double.PositiveInfinity;
        public int BestStep = -1;
        public int Bad;

        public double? BestOrNull => BestStep >= 0 ? Best : null;
        public int? BestStepOrNull => BestStep >= 0 ? BestStep : null;

        /// <summary>Records eval_loss; true when patience is exhausted.</summary>
        public bool Update(double loss, int step, double threshold, int patience)
        {
            if (loss < Best - threshold) { Best = loss; BestStep = step; Bad = 0; }
            else Bad++;
            return patience > 0 && Bad >= patience;
        }

        public void WriteTo(JsonObject json)
        {
            json["best_eval_loss"] = BestOrNull;
            json["best_step"] = BestStepOrNull;
            json["evals_without_improvement"] = Bad;
        }

        public static EvalState From(JsonObject json) => new()
        {
            Best = (double?)json["best_eval_loss"] ?? double.PositiveInfinity,
            BestStep = (int?)json["best_step"] ?? -1,
            Bad = (int?)json["evals_without_improvement"] ?? 0,
        };
    }
}

/// <summary>A non-finite loss or gradient stopped training; <see cref="Step"/> and <see cref="MicroBatch"/> say where.</summary>
public sealed class TrainingDivergedException(int step, int microBatch, string message) : Exception(message)
{
    /// <summary>The optimizer step (1-based) that failed.</summary>
    public int Step { get; } = step;

    /// <summary>The micro-batch within the step (1-based; 0 = the accumulated gradient).</summary>
    public int MicroBatch { get; } = microBatch;
}
