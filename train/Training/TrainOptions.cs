using Toolkit.Core.Options;
namespace Toolkit.Train.Training;

/// <summary>
/// Options every training command shares (model, data, output, optimizer, schedule, batching, checkpoints, validation).
/// Each property's words (default, range, interactions) live in its <see cref="OptionAttribute"/>, which the CLI help and
/// the YAML reader both use; the YAML keys are the TRL / Hugging Face TrainingArguments names. Use <see cref="SftOptions"/>
/// or <see cref="PreferenceOptions"/>; call <see cref="Validate"/> before training.
/// </summary>
public abstract record TrainOptions
{
    /// <summary>Model folder (see the option's help).</summary>
    [Option("model", "Hugging Face checkpoint folder to start from (config.json, *.safetensors, tokenizer.json, tokenizer_config.json). Exactly one of --model and --preset.",
        Aliases = ["--model-name-or-path"])]
    public string? Model { get; init; }

    /// <summary>Preset shape trained from random weights.</summary>
    [Option("preset", "Start from random weights of a preset shape (tiny, qwen2.5-0.5b, llama-125m), initialized with --seed; needs --tokenizer. Exactly one of --model and --preset.")]
    public string? Preset { get; init; }

    /// <summary>Tokenizer folder.</summary>
    [Option("tokenizer", "Folder with tokenizer.json and tokenizer_config.json (chat_template). Default: the --model folder. Required with --preset; its vocabulary sets the preset's vocab_size.")]
    public string? Tokenizer { get; init; }

    /// <summary>Training data file.</summary>
    [Option("data", "Training data: .jsonl or .csv. SFT: {messages} or {prompt, completion}. dpo/simpo/ipo/orpo: {prompt, chosen, rejected} (strings or message lists), {chosen, rejected} (implicit prompt) kto: {prompt, completion, label}. Also every LLaMA-Factory form (data/README.md): alpaca {instruction, input, output} (sft), {instruction, input, chosen, rejected} or older output: [chosen, rejected] (pairs), {instruction, input, output, kto_tag} (kto), with system and history; sharegpt / OpenAI {conversations | messages} (sft), + chosen/rejected turns (pairs), + kto_tag (kto), with system and tools. A row that fits no form is reported with the closest forms and what each lacks. Data that cannot train the objective (nothing left after bad rows, truncation and dedupe; kto with one label class) is refused with the counts.",
        Aliases = ["--dataset"])]
    public string? Data { get; init; }

    /// <summary>Output folder.</summary>
    [Option("output_dir", "Folder for the result: an HF checkpoint folder (model.safetensors, config.json, tokenizer files) plus metrics.jsonl, metrics.csv, metrics.svg, trainer_state.json and checkpoint-N/ subfolders.",
        Aliases = ["--out"])]
    public string? OutputDir { get; init; }

    /// <summary>Peak learning rate.</summary>
    [Option("learning_rate", "Peak AdamW learning rate, reached after warmup. Default 2e-5 for sft (TRL SFTConfig), 1e-6 for dpo/ipo/kto/orpo (TRL DPOConfig; 5e-7..5e-6 is the usual range), 1e-6 for simpo. Range (0, 1); a rate ≥ 1e-4 on a pretrained model usually diverges (loss swinging between 0 and 4, trl#1236). Models trained from scratch (--preset) need ~1e-3.",
        Aliases = ["--lr"])]
    public double LearningRate { get; init; } = 1e-6;

    /// <summary>Epochs.</summary>
    [Option("num_train_epochs", "Passes over the training data. Default 3 (HF TrainingArguments). Fractions allowed. Ignored when max_steps > 0.",
        Aliases = ["--epochs"])]
    public double NumTrainEpochs { get; init; } = 3;

    /// <summary>Optimizer steps to run, overriding epochs.</summary>
    [Option("max_steps", "Optimizer steps to run; > 0 overrides num_train_epochs (the data is cycled). Default -1 (use epochs).")]
    public int MaxSteps { get; init; } = -1;

    /// <summary>Micro-batch size.</summary>
    [Option("per_device_train_batch_size", "Examples (sft, kto) or pairs (dpo family) per forward. Default 8. The effective batch is this × gradient_accumulation_steps.",
        Aliases = ["--batch-size"])]
    public int PerDeviceTrainBatchSize { get; init; } = 8;

    /// <summary>Validation batch size.</summary>
    [Option("per_device_eval_batch_size", "Examples or pairs per validation forward (no gradient). Default 8.")]
    public int PerDeviceEvalBatchSize { get; init; } = 8;

    /// <summary>Micro-batches per optimizer step.</summary>
    [Option("gradient_accumulation_steps", "Micro-batches whose gradients add up before one optimizer step. Default 1. Each micro-batch loss is scaled by its share of the step (1/steps for equal pair batches; its token share for sft), so 4 × batch 1 trains like 1 × batch 4 (the mis-scaling trap of transformers#35856).",
        Aliases = ["--grad-accum"])]
    public int GradientAccumulationSteps { get; init; } = 1;

    /// <summary>Schedule shape.</summary>
    [Option("lr_scheduler_type", "Learning-rate schedule after warmup: cosine (default; decays to min_lr_ratio × lr at the last step, as transformers' get_cosine_schedule_with_warmup), linear (to 0) or constant.")]
    public LrSchedulerType LrSchedulerType { get; init; } = LrSchedulerType.Cosine;

    /// <summary>Warmup share of the steps.</summary>
    [Option("warmup_ratio", "Share of the total steps spent warming up linearly from 0 to learning_rate. Default 0.1 (alignment-handbook and LLaMA-Factory recipes; HF's default is 0). Range [0, 1). warmup_steps > 0 overrides it.")]
    public double WarmupRatio { get; init; } = 0.1;

    /// <summary>Warmup steps.</summary>
    [Option("warmup_steps", "Warmup length in optimizer steps; > 0 overrides warmup_ratio. Default 0. As in transformers, step s < warmup uses lr × s / warmup (so the first step runs at lr 0).")]
    public int WarmupSteps { get; init; }

    /// <summary>Floor of the cosine decay.</summary>
    [Option("min_lr_ratio", "Cosine floor as a fraction of learning_rate (OpenRLHF's cosine_with_min_lr uses 0.1). Default 0. Range [0, 1].")]
    public double MinLrRatio { get; init; }

    /// <summary>AdamW weight decay.</summary>
    [Option("weight_decay", "AdamW decoupled weight decay (Loshchilov & Hutter 2019), applied to matrices and embeddings, not to norm weights or biases (as transformers groups them). Default 0 (HF); 0.01–0.1 is common. Range [0, 1).")]
    public double WeightDecay { get; init; }

    /// <summary>AdamW β1.</summary>
    [Option("adam_beta1", "AdamW β1. Default 0.9. Range [0, 1).")]
    public double AdamBeta1 { get; init; } = 0.9;

    /// <summary>AdamW β2.</summary>
    [Option("adam_beta2", "AdamW β2. Default 0.999 (OpenRLHF uses 0.95). Range [0, 1).")]
    public double AdamBeta2 { get; init; } = 0.999;

    /// <summary>AdamW ε.</summary>
    [Option("adam_epsilon", "AdamW ε. Default 1e-8. Range (0, 1e-3].")]
    public double AdamEpsilon { get; init; } = 1e-8;

    /// <summary>Gradient clipping norm.</summary>
    [Option("max_grad_norm", "Clip the global gradient 2-norm to this value before each optimizer step; grad_norm logs the norm before clipping. Default 1.0. 0 = no clipping (the norm is still logged).")]
    public double MaxGradNorm { get; init; } = 1.0;

    /// <summary>Longest prompt + completion.</summary>
    [Option("max_length", "Most tokens of prompt + completion per sequence (TRL's max_length). Default 1024. Completions are cut to fit; rows whose prompt alone fills it are dropped and counted in the data summary.",
        Aliases = ["--cutoff-len"])]
    public int MaxLength { get; init; } = 1024;

    /// <summary>Longest prompt.</summary>
    [Option("max_prompt_length", "Most prompt tokens, cut per truncation_mode. Default: no limit (TRL ≤ 0.28 used 512). Must be below max_length.")]
    public int? MaxPromptLength { get; init; }

    /// <summary>Which end of a long prompt stays.</summary>
    [Option("truncation_mode", "Which end of an over-long prompt is kept: keep_end (default: the last turns and the generation header stay) or keep_start (TRL's).")]
    public Toolkit.Train.Data.TruncationMode TruncationMode { get; init; } = Toolkit.Train.Data.TruncationMode.KeepEnd;

    /// <summary>bf16 autocast.</summary>
    [Option("bf16", "Run matmuls under CPU bf16 autocast; weights, optimizer state, log-softmax and losses stay float32. auto (default): on only where this CPU has bf16 units (amx_bf16 or avx512_bf16 in /proc/cpuinfo) and a short bf16-vs-fp32 GEMM measurement at start shows bf16 faster (AMX on Sapphire Rapids: several × fp32; AVX2-only EPYC: 20–150× slower); the run header prints the choice and both GFLOP/s. true: always (warns with the measured slowdown where bf16 is slower). false: exact fp32 (e.g. bit-identical resume tests).")]
    public Bf16Mode Bf16 { get; init; } = Bf16Mode.Auto;

    /// <summary>Whether matmuls run under bf16 autocast: <see cref="Bf16"/> resolved (auto by <see cref="Bf16Policy"/>).</summary>
    public bool UseBf16 => Bf16 switch { Bf16Mode.True => true, Bf16Mode.False => false, _ => Bf16Policy.Measured.BfFaster };

    /// <summary>Recompute activations in backward instead of keeping them.</summary>
    [Option("gradient_checkpointing", "Trade step time for memory (transformers' gradient_checkpointing, reentrant form): each decoder layer keeps only its (B, T, E) input for backward and recomputes its activations there, each lm_head chunk recomputes its logits instead of keeping the (N, V) float32 log-softmax, and the forward's freed heap goes back to the OS before backward. Losses, gradients and weights are unchanged (bit-identical in the tests). Costs +9–25 % step time on the 125M DPO step and up to 2× on the tiny preset (measured); peak RSS of that step falls from 2914 to 2540 MB (README, Training memory). Default false. Under bf16 the recomputation runs under the same autocast.")]
    public bool GradientCheckpointing { get; init; }

    /// <summary>Where tensors live.</summary>
    [Option("device", "Where the model, optimizer state and activations live: cpu (default) or cuda. cuda needs TorchSharp's CUDA build of libtorch (libtorch-cuda-12.8-linux-x64 in place of libtorch-cpu-linux-x64) and a visible NVIDIA GPU; without either the run stops at start naming what is missing.")]
    public Toolkit.Train.Engine.DeviceKind Device { get; init; } = Toolkit.Train.Engine.DeviceKind.Cpu;

    /// <summary>Seed.</summary>
    [Option("seed", "Seed of the data order (shuffled per epoch), the train/validation split, --preset initialization and libtorch's generator (re-seeded with seed + step at every step, so a resumed run draws the same numbers). Default 42.")]
    public long Seed { get; init; } = 42;

    /// <summary>Validation share.</summary>
    [Option("validation_split", "Share of the data held out for validation, split by --seed and grouped by prompt (the pairs of one prompt stay on one side). Default 0.05. 0 = no validation (no eval_* metrics, no early stopping).")]
    public double ValidationSplit { get; init; } = 0.05;

    /// <summary>Validation period.</summary>
    [Option("eval_steps", "Validate every N optimizer steps (and at the end): eval_loss, eval_rewards/*, eval_kl, train_eval_gap. Default 50. 0 = only at the end.")]
    public int EvalSteps { get; init; } = 50;

    /// <summary>Early stopping patience.</summary>
    [Option("early_stopping_patience", "Stop after this many validations in a row without eval_loss improving by more than early_stopping_threshold. Default 0 (off). Needs validation_split > 0.")]
    public int EarlyStoppingPatience { get; init; }

    /// <summary>Early stopping threshold.</summary>
    [Option("early_stopping_threshold", "Smallest eval_loss decrease that counts as an improvement for early stopping. Default 0.")]
    public double EarlyStoppingThreshold { get; init; }

    /// <summary>Checkpoint period.</summary>
    [Option("save_steps", "Write a resumable checkpoint-N/ every N optimizer steps (and at the end). Default 500. 0 = only at the end. Checkpoints are written to a temporary folder and renamed, so a killed run leaves only complete ones.")]
    public int SaveSteps { get; init; } = 500;

    /// <summary>Checkpoints kept.</summary>
    [Option("save_total_limit", "Most checkpoint-N/ folders kept (oldest removed). Default 2. 0 = keep all.")]
    public int SaveTotalLimit { get; init; } = 2;

    /// <summary>Resume.</summary>
    [Option("resume_from_checkpoint", "Resume from a checkpoint-N folder, or 'latest' for the newest complete one in output_dir. Restores model, optimizer, schedule, data position and the seed scheme, so the loss trajectory continues as if never stopped (bit-identical in fp32 on CPU with the same threads).",
        Aliases = ["--resume"])]
    public string? ResumeFromCheckpoint { get; init; }

    /// <summary>Threads.</summary>
    [Option("threads", "libtorch intra-op threads. Default 0 = all cores (or TOOLKIT_THREADS). Reproducibility needs the same count.")]
    public int Threads { get; init; }

    /// <summary>Bad-row policy.</summary>
    [Option("on_bad_row", "What to do with a bad data row (missing field, empty or identical chosen/rejected, invalid JSON or UTF-8): skip (default: report file, line and field, and count) or fail (stop at the first).")]
    public Toolkit.Train.Data.OnBadRow OnBadRow { get; init; } = Toolkit.Train.Data.OnBadRow.Skip;

    /// <summary>LoRA rank (0 = full fine-tune).</summary>
    [Option("lora_r", "LoRA rank (Hu et al. 2022). Default 0 = full fine-tuning of every weight. > 0 freezes the base, trains A/B adapters on lora_target_modules, saves a PEFT adapter folder, and (dpo family) uses the base with adapters off as the reference — no second model in memory. Typical 8–16.",
        Aliases = ["--lora-rank"])]
    public int LoraR { get; init; }

    /// <summary>LoRA alpha.</summary>
    [Option("lora_alpha", "LoRA scale numerator: the update is (alpha / r)·B·A. Default 16 (≈ 2·r is a common start). Read only with lora_r > 0.")]
    public double LoraAlpha { get; init; } = 16;

    /// <summary>LoRA dropout.</summary>
    [Option("lora_dropout", "Dropout on the adapter input during training. Default 0.05; range [0, 1). Read only with lora_r > 0.")]
    public double LoraDropout { get; init; } = 0.05;

    /// <summary>LoRA targets.</summary>
    [Option("lora_target_modules", "Comma-separated projections that take adapters (q_proj,k_proj,v_proj,o_proj,gate_proj,up_proj,down_proj), or all-linear. Default all-linear.",
        Aliases = ["--lora-target"])]
    public string LoraTargetModules { get; init; } = "all-linear";

    /// <summary>Merge LoRA at the end.</summary>
    [Option("merge_lora", "With lora_r > 0: write output_dir as a full HF checkpoint with the adapters merged (W + (alpha/r)·B·A), and the PEFT adapter in output_dir/adapter/. Default false (output_dir is the PEFT adapter folder).")]
    public bool MergeLora { get; init; }

    /// <summary>Local data-parallel ranks.</summary>
    [Option("nproc", "Data-parallel processes (issue 15): > 1 relaunches this command under Open MPI's `mpirun -np N` on this machine; each rank takes a disjoint slice of every global batch (per_device_train_batch_size is the global micro-batch, so the trajectory matches one process), gradients are averaged before clipping, only rank 0 writes. The same command also runs under your own `mpirun -np N --hostfile hosts …` across machines (output_dir on a shared file system). Default 1.")]
    public int Nproc { get; init; } = 1;

    /// <summary>Seconds a collective may wait.</summary>
    [Option("collective_timeout", "Seconds any rank waits for the others at a collective (gradient all-reduce, checksum) before the job is ended with an error naming the ranks that did not arrive. Default 300.")]
    public double CollectiveTimeout { get; init; } = 300;

    /// <summary>Steps between parameter checksums.</summary>
    [Option("checksum_steps", "With several ranks: every N optimizer steps (and at the end) all ranks compare exact parameter checksums and stop loudly if any differ. Default 50; 0 = never.")]
    public int ChecksumSteps { get; init; } = 50;

    /// <summary>The command family, e.g. "sft" or "dpo".</summary>
    public abstract string Command { get; }

    /// <summary>Checks every option and their interactions; throws <see cref="ArgumentException"/> saying what to change.</summary>
    public virtual void Validate()
    {
        static void Need(bool ok, string message)
        {
            if (!ok) throw new ArgumentException(message);
        }
        Need((Model is null) != (Preset is null), "give exactly one of --model DIR (a checkpoint folder) and --preset NAME (random weights)");
        Need(Preset is null || Tokenizer is not null, "--preset needs --tokenizer DIR (train one with `toolkit train-tokenizer`)");
        Need(Model is null || Directory.Exists(Model), $"--model '{Model}' is not a folder; give an HF checkpoint folder");
        Need(!string.IsNullOrEmpty(Data), "--data FILE is required (.jsonl or .csv)");
        Need(File.Exists(Data), $"--data '{Data}' does not exist");
        Need(!string.IsNullOrEmpty(OutputDir), "--out DIR (output_dir) is required");
        Need(LearningRate > 0 && LearningRate < 1, $"learning_rate {LearningRate} must be in (0, 1); try 1e-6 for DPO on a pretrained model, 1e-3 from scratch");
        Need(MaxSteps > 0 || NumTrainEpochs > 0, $"num_train_epochs {NumTrainEpochs} must be > 0 when max_steps is not set");
        Need(PerDeviceTrainBatchSize >= 1, $"per_device_train_batch_size {PerDeviceTrainBatchSize} must be ≥ 1");
        Need(PerDeviceEvalBatchSize >= 1, $"per_device_eval_batch_size {PerDeviceEvalBatchSize} must be ≥ 1");
        Need(GradientAccumulationSteps >= 1, $"gradient_accumulation_steps {GradientAccumulationSteps} must be ≥ 1");
        Need(WarmupRatio is >= 0 and < 1, $"warmup_ratio {WarmupRatio} must be in [0, 1); 0.1 is common");
        Need(WarmupSteps >= 0, $"warmup_steps {WarmupSteps} must be ≥ 0");
        Need(MinLrRatio is >= 0 and <= 1, $"min_lr_ratio {MinLrRatio} must be in [0, 1]");
        Need(WeightDecay is >= 0 and < 1, $"weight_decay {WeightDecay} must be in [0, 1); 0.01 is common");
        Need(AdamBeta1 is >= 0 and < 1 && AdamBeta2 is >= 0 and < 1, $"adam_beta1 {AdamBeta1} and adam_beta2 {AdamBeta2} must be in [0, 1)");
        Need(AdamEpsilon is > 0 and <= 1e-3, $"adam_epsilon {AdamEpsilon} must be in (0, 1e-3]");
        Need(MaxGradNorm >= 0, $"max_grad_norm {MaxGradNorm} must be ≥ 0 (0 = no clipping)");
        Need(MaxLength >= 2, $"max_length {MaxLength} must be ≥ 2");
        Need(MaxPromptLength is null || (MaxPromptLength >= 1 && MaxPromptLength < MaxLength), $"max_prompt_length {MaxPromptLength} must be in [1, max_length {MaxLength})");
        Need(ValidationSplit is >= 0 and < 1, $"validation_split {ValidationSplit} must be in [0, 1); 0.05 is common");
        Need(EvalSteps >= 0 && SaveSteps >= 0 && SaveTotalLimit >= 0, "eval_steps, save_steps and save_total_limit must be ≥ 0");
        Need(EarlyStoppingPatience >= 0 && EarlyStoppingThreshold >= 0, "early_stopping_patience and early_stopping_threshold must be ≥ 0");
        Need(EarlyStoppingPatience == 0 || ValidationSplit > 0, $"early_stopping_patience {EarlyStoppingPatience} needs validation data: set validation_split > 0 (e.g. 0.05)");
        Need(Threads >= 0, $"threads {Threads} must be ≥ 0 (0 = all cores)");
        Need(Nproc is >= 1 and <= 1024, $"nproc {Nproc} must be in 1..1024");
        Need(CollectiveTimeout > 0, $"collective_timeout {CollectiveTimeout} must be > 0 seconds");
        Need(ChecksumSteps >= 0, $"checksum_steps {ChecksumSteps} must be ≥ 0 (0 = never)");
        Need(LoraR >= 0, $"lora_r {LoraR} must be ≥ 0 (0 = full fine-tuning; 8 or 16 are usual ranks)");
        Need(LoraR > 0 || !MergeLora, "merge_lora needs lora_r > 0 (there is nothing to merge in a full fine-tune)");
    }
}
