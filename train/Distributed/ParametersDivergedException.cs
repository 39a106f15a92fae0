namespace Toolkit.Train.Distributed;

/// <summary>Ranks of a data-parallel job no longer hold identical parameters (see <see cref="ParameterChecksum"/>).</summary>
public sealed class ParametersDivergedException(string message, IReadOnlyList<int> ranks) : Exception(message)
{
    /// <summary>The ranks whose parameters differ from rank 0's.</summary>
    public IReadOnlyList<int> Ranks { get; } = ranks;
}
