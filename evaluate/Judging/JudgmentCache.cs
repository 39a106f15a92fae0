using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace Toolkit.Evaluate.Judging;

/// <summary>
/// Judge outcomes cached in SQLite (one table, <c>judgments(key TEXT PRIMARY KEY, outcome TEXT, created REAL)</c>),
/// keyed by SHA-256 over the judge's name, the prompt template (name, system prompt, template text, or the rule), the
/// question (its JSON line), the turn, the answers shown and their order. A rerun with the same inputs makes no
/// judge calls. Judge errors are not stored, so a rerun asks again (AlpacaEval caches failed annotations as null,
/// its issue #300, which makes them stick).
/// </summary>
public sealed class JudgmentCache : IDisposable
{
    readonly SqliteConnection _db;
    readonly Lock _lock = new();

    /// <summary>Opens (creating if needed) the cache database at <paramref name="path"/>.</summary>
    public JudgmentCache(string path)
    {
        Path = path;
        var dir = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!;
        Directory.CreateDirectory(dir);
        _db = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadWriteCreate, Pooling = false }.ToString());
        _db.Open();
        using var c = _db.CreateCommand();
        c.CommandText = "PRAGMA journal_mode=WAL; CREATE TABLE IF NOT EXISTS judgments(key TEXT PRIMARY KEY, outcome TEXT NOT NULL, created REAL NOT NULL);";
        c.ExecuteNonQuery();
    }

    /// <summary>The database file.</summary>
    public string Path { get; }

    /// <summary>The cache key: hex SHA-256 over the parts, each length-prefixed (so no two part lists collide by concatenation).</summary>
    public static string Key(params string[] parts)
    {
        var sb = new StringBuilder();
        foreach (var p in parts) sb.Append(p.Length).Append(':').Append(p).Append('\n');
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(sb.ToString())));
    }

    /// <summary>The cached outcome for <paramref name="key"/>, or null.</summary>
    public JudgeOutcome? Get(string key)
    {
        lock (_lock)
        {
            using var c = _db.CreateCommand();
            c.CommandText = "SELECT outcome FROM judgments WHERE key = $k";
            c.Parameters.AddWithValue("$k", key);
            return c.ExecuteScalar() is string json ? JsonSerializer.Deserialize<JudgeOutcome>(json) : null;
        }
    }

    /// <summary>Stores <paramref name="outcome"/> (errors are not stored).</summary>
    public void Put(string key, JudgeOutcome outcome)
    {
        if (outcome.IsError) return;
        lock (_lock)
        {
            using var c = _db.CreateCommand();
            c.CommandText = "INSERT OR REPLACE INTO judgments(key, outcome, created) VALUES ($k, $o, $t)";
            c.Parameters.AddWithValue("$k", key);
            c.Parameters.AddWithValue("$o", JsonSerializer.Serialize(outcome));
            c.Parameters.AddWithValue("$t", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0);
            c.ExecuteNonQuery();
        }
    }

    /// <summary>Closes the database.</summary>
    public void Dispose() => _db.Dispose();
}
