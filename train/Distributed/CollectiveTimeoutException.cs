namespace Toolkit.Train.Distributed;

/// <summary>
/// A collective did not complete within <see cref="MpiWorld.Timeout"/>: <see cref="MissingRanks"/> are the ranks that did
/// not reach it (empty when every rank arrived but the transfer itself stalled). The job is aborted after this is reported.
/// </summary>
public sealed class CollectiveTimeoutException(string message, int rank, IReadOnlyList<int> missingRanks) : Exception(message)
{
    /// <summary>The rank that noticed.</summary>
    public int Rank { get; } = rank;

    /// <summary>Ranks that did not answer the roll call in time.</summary>
    public IReadOnlyList<int> MissingRanks { get; } = missingRanks;
}
