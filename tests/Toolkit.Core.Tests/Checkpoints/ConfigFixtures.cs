namespace Toolkit.Core.Tests.Checkpoints;

/// <summary>config.json / generation_config.json as published with real models (values as in their HF repositories).</summary>
static class ConfigFixtures
{
    /// <summary>meta-llama/Llama-3.2-1B-Instruct config.json.</summary>
    public const string Llama32_1B = """
        {
          "architectures": ["LlamaForCausalLM"],
          "attention_bias": false,
          "attention_dropout": 0.0,
          "bos_token_id": 128000,
          "eos_token_id": [128001, 128008, 128009],
          "head_dim": 64,
          "hidden_act": "silu",
          "hidden_size": 2048,
          "initializer_range": 0.02,
          "intermediate_size": 8192,
          "max_position_embeddings": 131072,
          "mlp_bias": false,
          "model_type": "llama",
          "num_attention_heads": 32,
          "num_hidden_layers": 16,
          "num_key_value_heads": 8,
          "pretraining_tp": 1,
          "rms_norm_eps": 1e-05,
          "rope_scaling": {
            "factor": 32.0,
            "high_freq_factor": 4.0,
            "low_freq_factor": 1.0,
            "original_max_position_embeddings": 8192,
            "rope_type": "llama3"
          },
          "rope_theta": 500000.0,
          "tie_word_embeddings": true,
          "torch_dtype": "bfloat16",
          "transformers_version": "4.45.0.dev0",
          "use_cache": true,
          "vocab_size": 128256
        }
        """;

    /// <summary>Qwen/Qwen2.5-0.5B-Instruct config.json.</summary>
    public const string Qwen25_05B = """
        {
          "architectures": ["Qwen2ForCausalLM"],
          "attention_dropout": 0.0,
          "bos_token_id": 151643,
          "eos_token_id": 151645,
          "hidden_act": "silu",
          "hidden_size": 896,
          "initializer_range": 0.02,
          "intermediate_size": 4864,
          "max_position_embeddings": 32768,
          "max_window_layers": 21,
          "model_type": "qwen2",
          "num_attention_heads": 14,
          "num_hidden_layers": 24,
          "num_key_value_heads": 2,
          "rms_norm_eps": 1e-06,
          "rope_theta": 1000000.0,
          "sliding_window": 32768,
          "tie_word_embeddings": true,
          "torch_dtype": "bfloat16",
          "transformers_version": "4.43.1",
          "use_cache": true,
          "use_sliding_window": false,
          "vocab_size": 151936
        }
        """;

    /// <summary>mistralai/Mistral-7B-Instruct-v0.1 config.json.</summary>
    public const string Mistral7B = """
        {
          "architectures": ["MistralForCausalLM"],
          "bos_token_id": 1,
          "eos_token_id": 2,
          "hidden_act": "silu",
          "hidden_size": 4096,
          "initializer_range": 0.02,
          "intermediate_size": 14336,
          "max_position_embeddings": 32768,
          "model_type": "mistral",
          "num_attention_heads": 32,
          "num_hidden_layers": 32,
          "num_key_value_heads": 8,
          "rms_norm_eps": 1e-05,
          "rope_theta": 10000.0,
          "sliding_window": 4096,
          "tie_word_embeddings": false,
          "torch_dtype": "bfloat16",
          "transformers_version": "4.34.0.dev0",
          "use_cache": true,
          "vocab_size": 32000
        }
        """;

    /// <summary>Qwen/Qwen2.5-0.5B-Instruct generation_config.json.</summary>
    public const string QwenGeneration = """
        {
          "bos_token_id": 151643,
          "pad_token_id": 151643,
          "do_sample": true,
          "eos_token_id": [151645, 151643],
          "repetition_penalty": 1.1,
          "temperature": 0.7,
          "top_p": 0.8,
          "top_k": 20,
          "transformers_version": "4.37.0"
        }
        """;

    /// <summary>meta-llama/Llama-3.2-1B-Instruct generation_config.json.</summary>
    public const string LlamaGeneration = """
        {
          "bos_token_id": 128000,
          "do_sample": true,
          "eos_token_id": [128001, 128008, 128009],
          "temperature": 0.6,
          "top_p": 0.9,
          "transformers_version": "4.45.0.dev0"
        }
        """;
}
