namespace Toolkit.Evaluate.Answers;

/// <summary>Options of <c>toolkit evaluate answer</c>; the CLI's help repeats these words.</summary>
public sealed record AnswerOptions
{
    /// <summary>--model: an ONNX model folder (genai_config.json, model.onnx, tokenizer files) or an OpenAI-compatible base URL (http://host:port/v1). Required.</summary>
    public string Model { get; init; } = "";

    /// <summary>--questions: question.jsonl, a .jsonl / .csv prompt list, or "builtin" (the embedded bilingual set). Default builtin.</summary>
    public string Questions { get; init; } = Toolkit.Evaluate.Questions.QuestionSet.BuiltIn;

    /// <summary>--out: the answers file (FastChat model_answer JSONL), e.g. answers/dpo.jsonl. Appended to one finished question at a time; a rerun skips question ids already in it. Required.</summary>
    public string Out { get; init; } = "";

    /// <summary>--model-id: the model_id written in each line. Default: the file name of --out without extension.</summary>
    public string? ModelId { get; init; }

    /// <summary>--max-new-tokens: tokens per answer turn at most (FastChat's default 1024). Range 1..32768.</summary>
    public int MaxNewTokens { get; init; } = 1024;

    /// <summary>--temperature: one temperature for every category instead of FastChat's per-category table (0 = greedy). Range 0..2.</summary>
    public double? Temperature { get; init; }

    /// <summary>--concurrency: questions answered at once (each question's turns stay in order). Range 1..64. Default 1.</summary>
    public int Concurrency { get; init; } = 1;

    /// <summary>--seed: sampling seed; question i uses seed + i so reruns repeat (FastChat seeds each choice with torch.manual_seed(i)). Default 0.</summary>
    public long Seed { get; init; }

    /// <summary>Checks ranges; messages say what to pass instead.</summary>
    public AnswerOptions Validate()
    {
        if (string.IsNullOrWhiteSpace(Model)) throw new ArgumentException("--model is required: an ONNX model folder or an OpenAI-compatible URL (http://127.0.0.1:8000/v1)");
        if (string.IsNullOrWhiteSpace(Out)) throw new ArgumentException("--out is required, e.g. --out answers/dpo.jsonl");
        if (MaxNewTokens is < 1 or > 32768) throw new ArgumentException($"--max-new-tokens {MaxNewTokens} is out of range 1..32768");
        if (Temperature is < 0 or > 2) throw new ArgumentException($"--temperature {Temperature} is out of range 0..2 (0 = greedy)");
        if (Concurrency is < 1 or > 64) throw new ArgumentException($"--concurrency {Concurrency} is out of range 1..64");
        return this;
    }

    /// <summary>The model_id: <see cref="ModelId"/> or the --out file name without extension.</summary>
    public string ResolvedModelId => ModelId ?? Path.GetFileNameWithoutExtension(Out);
}
