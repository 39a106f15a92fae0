using Toolkit.Core.Options;

namespace Toolkit.Evaluate.Judging.Distill;

/// <summary>
/// Options of <c>toolkit evaluate distill-judge</c>: distil the rule judge into a small LLM judge (SFT on FastChat
/// pairwise prompts labelled by the rule judge), export it, and measure it against the rule judge on held-out questions.
/// Each property's <see cref="OptionAttribute"/> gives the flag and the help the CLI prints. Call <see cref="Validate"/> first.
/// </summary>
public sealed record DistillJudgeOptions
{
    /// <summary>Questions file (MT-Bench layout) whose turns carry rules.</summary>
    [Option("questions", "Questions in MT-Bench's question.jsonl layout (or \"builtin\"); only turns with a \"rules\" entry are used (the rule judge is the ground truth). Required.")]
    public string Questions { get; init; } = "";

    /// <summary>Folder of FastChat model_answer JSONL files, one per model.</summary>
    [Option("answers", "Folder of FastChat model_answer files (*.jsonl, one per model, e.g. from `toolkit evaluate answer`); at least two models. Every pair of models on every ruled turn makes a match, shown in both orders. Required.")]
    public string Answers { get; init; } = "";

    /// <summary>Base model folder, or a preset name.</summary>
    [Option("base", "What the judge is fine-tuned from: an HF checkpoint folder (e.g. the demo's SFT model) or a preset name (tiny) for random weights, which needs --tokenizer. Required.")]
    public string Base { get; init; } = "";

    /// <summary>Tokenizer folder.</summary>
    [Option("tokenizer", "Folder with tokenizer.json and tokenizer_config.json (chat template). Required with a preset --base; default the --base folder.")]
    public string? Tokenizer { get; init; }

    /// <summary>Output folder.</summary>
    [Option("out", "Folder to write: judge/ (HF checkpoint), judge-onnx/ (ORT-GenAI folder), data/ (train.jsonl for `train sft`, heldout.jsonl, the judge's held-out judgments) and judge_agreement.json. judge/ and judge-onnx/ are replaced. Required.")]
    public string Out { get; init; } = "";

    /// <summary>Seed of the question split, the held-out sample and training.</summary>
    [Option("seed", "Seed of the train / held-out split of questions, the held-out match sample and training. Default 1.")]
    public int Seed { get; init; } = 1;

    /// <summary>SFT optimizer steps.</summary>
    [Option("max_steps", "SFT optimizer steps (the training rows are cycled). Default 120. Range 1..100000.")]
    public int MaxSteps { get; init; } = 120;

    /// <summary>SFT batch size.</summary>
    [Option("batch_size", "Judging prompts per SFT step. Default 8. Range 1..256.")]
    public int BatchSize { get; init; } = 8;

    /// <summary>SFT learning rate.</summary>
    [Option("learning_rate", "Peak SFT learning rate (cosine, 10% warmup). Default 1e-3 (right for the tiny preset, from scratch or from the demo's SFT model). Range (0, 1).")]
    public double LearningRate { get; init; } = 1e-3;

    /// <summary>Share of questions held out.</summary>
    [Option("held_out_share", "Share of the ruled questions held out for the agreement measurement (split by question_id, seeded: no held-out question is trained on). Default 0.3. Range (0, 1).")]
    public double HeldOutShare { get; init; } = 0.3;

    /// <summary>Held-out matches judged at most.</summary>
    [Option("max_eval_pairs", "Held-out matches (question, turn, model pair) judged at most, each in both orders; a seeded sample when there are more. Default 150. Range 1..100000.")]
    public int MaxEvalPairs { get; init; } = 150;

    /// <summary>Characters kept per answer turn in the judge prompt.</summary>
    [Option("max_answer_chars", "Characters of each answer turn shown to the judge (training and evaluation alike; longer answers are cut and end in \"…\"); the rule labels the full answer. The judge's verdict is never cut: SFT max_length is set from the longest rendered row, and a row longer than the model's context is refused. Default 200. Range 8..100000.")]
    public int MaxAnswerChars { get; init; } = 200;

    /// <summary>Judge prompts: "compact", "builtin" or a file.</summary>
    [Option("judge_prompts", "The judge prompts that render the training data and the evaluation alike: compact (default: the built-in FastChat prompts with a short system prompt — same names, templates and [[A]]/[[B]]/[[C]] labels — about 3× fewer tokens per row, which a small judge trains on in the demo's time), builtin (the full built-in set) or a file in FastChat's judge_prompts.jsonl layout. The set is copied to judge-onnx/judge_prompts.jsonl, which `evaluate judge --judge judge-onnx` uses when --judge-prompts is not given.")]
    public string JudgePrompts { get; init; } = "compact";

    /// <summary>Judge calls in flight during the evaluation.</summary>
    [Option("concurrency", "Held-out judge calls in flight at once. Default 2. Range 1..64.")]
    public int Concurrency { get; init; } = 2;

    /// <summary>The judge's name in judgments and judge_agreement.json; null: "distilled:" + the --out folder's name.</summary>
    [Option("judge_name", "The judge's name written in its judgments and in judge_agreement.json. Default \"distilled:\" + the --out folder's name.")]
    public string? JudgeName { get; init; }

    /// <summary>Checks ranges and required values; the message names the flag and what to do.</summary>
    /// <exception cref="ArgumentException">an option is missing or out of range.</exception>
    public DistillJudgeOptions Validate()
    {
        static void Need(bool ok, string message) { if (!ok) throw new ArgumentException(message); }
        Need(Questions.Length > 0, "--questions is required: a question.jsonl whose turns carry rules");
        Need(Answers.Length > 0, "--answers is required: a folder of model_answer *.jsonl files (two models at least)");
        Need(Base.Length > 0, "--base is required: an HF checkpoint folder or the preset name tiny (with --tokenizer)");
        Need(Out.Length > 0, "--out is required: the folder to write the judge and judge_agreement.json into");
        Need(MaxSteps is >= 1 and <= 100_000, $"--max-steps {MaxSteps}: use 1..100000");
        Need(BatchSize is >= 1 and <= 256, $"--batch-size {BatchSize}: use 1..256");
        Need(LearningRate is > 0 and < 1, $"--learning-rate {LearningRate}: use a value in (0, 1), e.g. 1e-3");
        Need(HeldOutShare is > 0 and < 1, $"--held-out-share {HeldOutShare}: use a value in (0, 1), e.g. 0.3");
        Need(MaxEvalPairs is >= 1 and <= 100_000, $"--max-eval-pairs {MaxEvalPairs}: use 1..100000");
        Need(MaxAnswerChars is >= 8 and <= 100_000, $"--max-answer-chars {MaxAnswerChars}: use 8..100000");
        Need(Concurrency is >= 1 and <= 64, $"--concurrency {Concurrency}: use 1..64");
        return this;
    }
}
