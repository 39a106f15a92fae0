using Toolkit.Core.Checkpoints;
using Toolkit.Core.Folders;
using Toolkit.Core.Templates;
using Toolkit.Core.Tokenizers;
using Toolkit.Train.Data;
using Toolkit.Train.Engine;
using Toolkit.Train.Lora;
using Toolkit.Train.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace Toolkit.Train.Training;

/// <summary>
/// Builds a run from validated options: tokenizer and chat template, data (read, tokenized, split by seed, with the
/// data summary printed), the policy (checkpoint folder or preset, full or LoRA), the reference (frozen copy, adapters
/// off, or precomputed cache) and the objective. <see cref="Trainer"/> then runs it.
/// </summary>
public sealed class TrainingSetup : IDisposable
{
    /// <summary>The validated options.</summary>
    public required TrainOptions Options { get; init; }

    /// <summary>The model being trained.</summary>
    public required Policy Policy { get; init; }

    /// <summary>The objective (owns data and reference).</summary>
    public required IObjective Objective { get; init; }

    /// <summary>How the reference is held ("none" for SFT, SimPO, ORPO).</summary>
    public required string ReferenceDescription { get; init; }

    /// <summary>The chat template the data was rendered with (the folder's, via <see cref="ModelFolder"/>, or the tiny preset's), or null.</summary>
    public ChatTemplate? ChatTemplate { get; init; }

    /// <summary>A trainer for this setup.</summary>
    public Trainer CreateTrainer(Action<string>? log = null) => new(Options, Policy, Objective, log);

    /// <summary>Builds everything <paramref name="o"/> describes; <paramref name="log"/> receives the data summary and decisions.</summary>
    public static TrainingSetup Build(TrainOptions o, Action<string>? log = null)
    {
        o.Validate();
        var device = TorchDevice.Resolve(o.Device);                        // loads libtorch; cuda: stops here naming what is missing
        if (device.type != DeviceType.CPU) torch.set_default_device(device);   // batches, masks and tables are created there
        if (o.Threads > 0) torch.set_num_threads(o.Threads);
        log?.Invoke(Bf16Policy.Decide(o.Bf16).Line);                         // bf16: what was chosen and why (measured)

        // 1) tokenizer and chat template
        var tokFolder = o.Tokenizer ?? o.Model!;
        var folder = ModelFolder.Open(tokFolder);                          // template, pad / EOS / end-of-turn: one resolver
        var tok = folder.Tokenizer;
        var template = folder.ChatTemplate
            ?? (o.Preset is not null ? ChatTemplate.Parse(ChatTemplate.TinyPresetSource).WithSpecialTokens(tok.BosToken, tok.EosToken) : null);
        var padId = folder.PadId;
        var stopIds = ModelFolder.StopIdsOf(tok, template);                // EOS + the template's end-of-turn: eos_token_id of what we write
        log?.Invoke($"tokenizer {folder.Folder}: chat template from {folder.ChatTemplateFile ?? (template is null ? "nowhere (plain-text data only)" : "the tiny preset")}, pad id {padId}, stop ids [{string.Join(", ", stopIds)}]");

        // 2) data: read, tokenize, split
        var set = DataReader.Read(o.Data!, o.OnBadRow);
        var pref = o as PreferenceOptions;
        var want = o is SftOptions ? "sft" : pref!.IsKto ? "kto" : "pairs";
        var have = set.Form is { } form ? RowParser.KindOf(form) switch { DataKind.Sft => "sft", DataKind.Unpaired => "kto", _ => "pairs" } : want;
        if (have != want)
            throw new ArgumentException($"--data '{o.Data}' holds {set.Form} rows (decided by line {set.FormLine}), but `toolkit train {o.Command}` trains on " +
                (want == "sft" ? "SFT rows ({messages} or {prompt, completion})" : want == "kto" ? "unpaired rows {prompt, completion, label}" : "preference pairs {prompt, chosen, rejected}") + ". HINT: pick the matching command or file");
        var builder = new ExampleBuilder(tok, template, new TokenizeOptions
        {
            MaxLength = o.MaxLength, MaxPromptLength = o.MaxPromptLength,
            Truncation = o.TruncationMode,
            OnBadRow = o.OnBadRow,
        }, set.Report);
        var (pairs, unpaired, sft) = builder.All(set);
        log?.Invoke($"data {o.Data}: " + set.Report.Summary().TrimEnd());
        DataChecks.RequireExamples(o.Data!, o.Command, set.Report, want == "sft" ? sft.Count : want == "kto" ? unpaired.Count : pairs.Count, o.MaxLength);
        if (want == "kto")
        {
            DataChecks.RequireBothLabels(o.Data!, unpaired);
            var nD = unpaired.Count(u => u.Label);
            if (DataChecks.KtoWeightWarning(nD, unpaired.Count - nD, pref!.DesirableWeight, pref.UndesirableWeight) is { } warning) log?.Invoke(warning);
        }

        // 3) policy
        var loadStart = OnDevice(StartingModel(o, tok, stopIds), device);
        var policyModel = loadStart();
        LoraAdapters? adapters = null;
        if (o.LoraR > 0)
        {
            var targets = o.LoraTargetModules.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            var config = new LoraConfig
            {
                R = o.LoraR, Alpha = o.LoraAlpha, Dropout = o.LoraDropout, BaseModelNameOrPath = o.Model,
                TargetModules = targets is [LoraConfig.AllLinear] ? LoraConfig.DecoderLinears : targets,
            };
            config.Validate();
            adapters = LoraAdapters.Attach(policyModel, config, o.Seed);
        }
        var generation = o.Model is not null && File.Exists(Path.Combine(o.Model, GenerationConfig.FileName))
            ? GenerationConfig.Read(Path.Combine(o.Model, GenerationConfig.FileName))
            : new GenerationConfig { BosTokenId = tok.BosId, PadTokenId = tok.PadId };
        generation = generation with { EosTokenIds = ModelFolder.MergeStopIds(generation.EosTokenIds, stopIds, tok.EosId) };
        var policy = new Policy(policyModel, adapters) { Generation = generation, TokenizerFolder = tokFolder };

        // 4) objective and reference
        var seed = unchecked((ulong)o.Seed);
        string refText = "none";
        IObjective objective;
        if (o is SftOptions)
        {
            var (train, val) = DatasetSplit.Split(sft, o.ValidationSplit, seed);
            objective = new SftObjective(train, val, padId);
        }
        else if (pref!.IsKto)
        {
            var (train, val) = DatasetSplit.Split(unpaired, o.ValidationSplit, seed);
            var reference = LiveReference(pref, policyModel, adapters, loadStart, device);
            refText = reference.Describe;
            objective = new KtoObjective(train, val, pref.ToLossOptions(), reference, padId);
        }
        else
        {
            var (train, val) = DatasetSplit.Split(pairs, o.ValidationSplit, seed);
            var loss = pref.ToLossOptions();
            Reference? reference = null;
            if (loss.NeedsReference)
            {
                var loadRef = pref.RefModel is { } r ? OnDevice(() => LoadFolder(r), device) : loadStart;
                reference = pref.PrecomputeRefLogProbs
                    ? Reference.Precomputed(ReferenceCache.OpenOrCompute(Path.Combine(o.OutputDir!, "ref_logps"), loadRef, train, val,
                        pref.SharedPrompt, o.UseBf16, pref.PrecomputeRefBatchSize ?? o.PerDeviceEvalBatchSize, padId, log))
                    : LiveReference(pref, policyModel, adapters, loadRef, device);
                refText = reference.Describe;
            }
            objective = new PreferenceObjective(train, val, loss, reference, pref.SharedPrompt, padId);
        }
        log?.Invoke($"train {objective.TrainCount} / validation {objective.ValidationCount} examples; reference: {refText}; " +
                    $"trainable tensors {policy.Trainable.Count} ({policy.Trainable.Sum(p => p.Tensor.numel()):N0} values)" +
                    (o.GradientCheckpointing ? "; gradient checkpointing on (activations recomputed in backward)" : ""));
        return new TrainingSetup { Options = o, Policy = policy, Objective = objective, ReferenceDescription = refText, ChatTemplate = template };
    }

    static Reference LiveReference(PreferenceOptions o, Decoder policy, LoraAdapters? adapters, Func<Decoder> loadStart, Device device)
    {
        if (adapters is not null && o.RefModel is null) return Reference.WithAdaptersOff(policy, adapters.Disable);
        return Reference.Frozen(o.RefModel is { } r ? OnDevice(() => LoadFolder(r), device)() : loadStart());
    }

    /// <summary><paramref name="load"/> followed by moving the weights to <paramref name="device"/> (before any optimizer exists).</summary>
    static Func<Decoder> OnDevice(Func<Decoder> load, Device device) => () =>
    {
        var model = load();
        if (device.type != DeviceType.CPU) model.Weights.MoveTo(device);
        return model;
    };

    /// <summary>A loader of the starting model: the checkpoint folder, or the preset initialized with the seed (the same weights on every call).</summary>
    static Func<Decoder> StartingModel(TrainOptions o, Tokenizer tok, IReadOnlyList<int> stopIds)
    {
        if (o.Model is { } folder) return () => LoadFolder(folder);
        var config = Presets.Get(o.Preset!, tok.VocabSize) with { BosTokenId = tok.BosId, EosTokenIds = stopIds };
        return () => new Decoder(DecoderWeights.Random(config, o.Seed));
    }

    static Decoder LoadFolder(string folder)
    {
        using var ckpt = CheckpointFolder.Open(folder);
        FolderValidation.Validate(ckpt);
        return new Decoder(DecoderWeights.Load(ckpt));
    }

    /// <summary>Frees the objective (and its reference) and the policy.</summary>
    public void Dispose()
    {
        Objective.Dispose();
        Policy.Dispose();
    }
}
