using System.Text;

namespace Toolkit.Train.Distributed;

/// <summary>An MPI call returned an error code; the message carries <c>MPI_Error_string</c>'s text, the call and the rank.</summary>
public sealed class MpiException(string message, int code) : Exception(message)
{
    /// <summary>The MPI error code (e.g. 15 = MPI_ERR_TRUNCATE in Open MPI 4.1).</summary>
    public int Code { get; } = code;

    /// <summary>Throws when <paramref name="code"/> is not MPI_SUCCESS, naming <paramref name="call"/> and <paramref name="rank"/> (-1 before it is known).</summary>
    internal static void Check(int code, string call, int rank = -1)
    {
        if (code != 0) throw new MpiException($"{call} failed{(rank >= 0 ? $" on rank {rank}" : "")}: {Describe(code)} (MPI error {code})", code);
    }

    /// <summary><c>MPI_Error_string</c> of <paramref name="code"/>.</summary>
    internal static unsafe string Describe(int code)
    {
        var buffer = stackalloc byte[MpiNative.MaxErrorString];
        var length = 0;
        return MpiNative.MPI_Error_string(code, buffer, &length) == 0 ? Encoding.UTF8.GetString(buffer, length) : $"unknown MPI error {code}";
    }
}
