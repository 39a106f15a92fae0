using System.Security.Cryptography;
using Encoding = System.Text.Encoding;
using Toolkit.Train.Data;
using Toolkit.Train.Engine;
using Toolkit.Train.Losses;
using Toolkit.Train.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace Toolkit.Train.Training;

/// <summary>
/// Reference log-probs computed in one no-grad pass over the training and validation pairs and kept on disk, so training
/// holds one model (TRL's precompute_ref_log_probs). The file is keyed by a SHA-256 of the tokenized data (every id of
/// every pair, in order), of the reference weights (names, shapes and bytes), and of what changes the numbers (layout,
/// bf16); a run with the same data and reference finds it and skips the pass (a resumed run, a second epoch setting).
/// File: magic "TKREFLP1", int32 version 1, int32 train count, int32 validation count, then float32 chosen sums and
/// rejected sums for train, then for validation. Written to a temporary file and renamed.
/// </summary>
public sealed class ReferenceCache
{
    const string Magic = "TKREFLP1";
    const int Version = 1;

    readonly float[] _trainChosen, _trainRejected, _valChosen, _valRejected;

    /// <summary>The cache file.</summary>
    public string Path { get; }

    /// <summary>True when the file already existed (no precompute pass ran).</summary>
    public bool WasCached { get; }

    ReferenceCache(string path, bool cached, float[] tc, float[] tr, float[] vc, float[] vr)
    {
        (Path, WasCached, _trainChosen, _trainRejected, _valChosen, _valRejected) = (path, cached, tc, tr, vc, vr);
    }

    /// <summary>(2B) float32 sums for pairs <paramref name="indices"/>: chosen then rejected, the row order of both pair layouts.</summary>
    public Tensor Sums(IReadOnlyList<int> indices, bool validation)
    {
        var (c, r) = validation ? (_valChosen, _valRejected) : (_trainChosen, _trainRejected);
        return torch.tensor([.. indices.Select(i => c[i]), .. indices.Select(i => r[i])]);
    }

    /// <summary>
    /// Opens the cache for this data and reference in <paramref name="folder"/>, or computes and writes it.
    /// <paramref name="loadReference"/> is called once (to hash the weights and, on a miss, to run them); the model is
    /// disposed before this returns.
    /// </summary>
    public static ReferenceCache OpenOrCompute(string folder, Func<Decoder> loadReference, IReadOnlyList<PreferenceExample> train,
        IReadOnlyList<PreferenceExample> validation, bool sharedPrompt, bool bf16, int batchSize, int padId, Action<string>? log = null)
    {
        using var model = loadReference();
        var key = Key(model, train, validation, sharedPrompt, bf16);
        Directory.CreateDirectory(folder);
        var path = System.IO.Path.Combine(folder, $"ref-logps-{key[..16]}.bin");
        if (File.Exists(path) && TryRead(path, train.Count, validation.Count) is { } hit)
        {
            log?.Invoke($"reference log-probs: cached in {path}");
            return new ReferenceCache(path, true, hit.tc, hit.tr, hit.vc, hit.vr);
        }
        log?.Invoke($"reference log-probs: precomputing {train.Count + validation.Count} pairs → {path}");
        var (tc, tr) = Run(model, train, sharedPrompt, bf16, batchSize, padId);
        var (vc, vr) = Run(model, validation, sharedPrompt, bf16, batchSize, padId);
        if (Toolkit.Train.Distributed.DataParallel.Current is not { IsWriter: false }) Write(path, tc, tr, vc, vr);   // data parallel: rank 0 writes
        return new ReferenceCache(path, false, tc, tr, vc, vr);
    }

    /// <summary>
    /// Chosen and rejected sums over <paramref name="set"/>. Data parallel (<see cref="Toolkit.Train.Distributed.DataParallel.Current"/>):
    /// each rank runs its contiguous slice and the slices are gathered in rank order, so every rank holds the whole arrays.
    /// </summary>
    static (float[] Chosen, float[] Rejected) Run(Decoder model, IReadOnlyList<PreferenceExample> set, bool shared, bool bf16, int batchSize, int padId)
    {
        if (Toolkit.Train.Distributed.DataParallel.Current is { } dp)
        {
            var (from, count) = dp.Range(set.Count);
            var (c, r) = RunAll(model, [.. set.Skip(from).Take(count)], shared, bf16, batchSize, padId);
            return (dp.Gather(c, "reference log-probs (chosen)"), dp.Gather(r, "reference log-probs (rejected)"));
        }
        return RunAll(model, set, shared, bf16, batchSize, padId);
    }

    static (float[] Chosen, float[] Rejected) RunAll(Decoder model, IReadOnlyList<PreferenceExample> set, bool shared, bool bf16, int batchSize, int padId)
    {
        var chosen = new float[set.Count];
        var rejected = new float[set.Count];
        using var _ = torch.no_grad();
        for (var start = 0; start < set.Count; start += batchSize)
        {
            using var scope = torch.NewDisposeScope();
            using var amp = Autocast.Enable(bf16);
            var n = Math.Min(batchSize, set.Count - start);
            var batch = PreferenceObjective.Layout([.. set.Skip(start).Take(n)], shared, padId);
            var sums = CompletionLogps.Compute(model, batch).Sum.to(ScalarType.Float32).cpu().contiguous().data<float>().ToArray();   // (2n)
            for (var i = 0; i < n; i++) (chosen[start + i], rejected[start + i]) = (sums[i], sums[n + i]);
        }
        return (chosen, rejected);
    }

    static string Key(Decoder model, IReadOnlyList<PreferenceExample> train, IReadOnlyList<PreferenceExample> validation, bool shared, bool bf16)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha.AppendData(Encoding.UTF8.GetBytes($"{Magic} v{Version} shared={shared} bf16={bf16} train={train.Count} val={validation.Count}\n"));
        foreach (var e in train.Concat(validation))
            foreach (var ids in new[] { e.PromptIds, e.ChosenIds, e.RejectedIds })
            {
                sha.AppendData(BitConverter.GetBytes(ids.Length));
                sha.AppendData(System.Runtime.InteropServices.MemoryMarshal.AsBytes(ids.AsSpan()));
            }
        sha.AppendData(Encoding.UTF8.GetBytes(WeightsHash(model)));
        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }

    /// <summary>SHA-256 over every parameter's name, shape, type and bytes, in the decoder's fixed order.</summary>
    public static string WeightsHash(Decoder model)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var (name, t) in model.Weights.All)
        {
            using var c = t.detach().cpu().contiguous();
            sha.AppendData(Encoding.UTF8.GetBytes($"{name}:{string.Join('x', c.shape)}:{c.dtype}\n"));
            sha.AppendData(c.bytes);
        }
        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }

    static (float[] tc, float[] tr, float[] vc, float[] vr)? TryRead(string path, int train, int validation)
    {
        using var r = new BinaryReader(File.OpenRead(path));
        if (Encoding.ASCII.GetString(r.ReadBytes(8)) != Magic || r.ReadInt32() != Version) return null;
        if (r.ReadInt32() != train || r.ReadInt32() != validation) return null;
        float[] Read(int n)
        {
            var a = new float[n];
            for (var i = 0; i < n; i++) a[i] = r.ReadSingle();
            return a;
        }
        return (Read(train), Read(train), Read(validation), Read(validation));
    }

    static void Write(string path, float[] tc, float[] tr, float[] vc, float[] vr)
    {
        Toolkit.Core.Checkpoints.AtomicFile.Write(path, stream =>
        {
            using var w = new BinaryWriter(stream, Encoding.ASCII, leaveOpen: true);
            w.Write(Encoding.ASCII.GetBytes(Magic));
            w.Write(Version);
            w.Write(tc.Length);
            w.Write(vc.Length);
            foreach (var a in new[] { tc, tr, vc, vr })
                foreach (var x in a) w.Write(x);
        });
    }
}
