using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Unicode;
using Microsoft.AspNetCore.Http;

namespace Toolkit.Runtime.Server;

/// <summary>
/// Reads a request body as JSON within <see cref="ServeOptions.MaxRequestBytes"/>: a body over the limit is refused with
/// 413 before it is read (Content-Length) or as soon as it passes the limit (chunked), so memory per request is bounded
/// by the limit; bytes that are not UTF-8, and \u escapes that are not valid UTF-16, are 400 naming the field; invalid
/// JSON is 400. Every string of the result can be read without an exception afterwards.
/// </summary>
internal static class RequestBody
{
    static readonly UTF8Encoding Lenient = new(false, false);

    public static async Task<JsonNode?> ReadJsonAsync(HttpRequest request, long limit, CancellationToken cancel)
    {
        // 1) the size, before reading when the client declared it
        if (request.ContentLength is { } declared && declared > limit) throw TooLarge(limit, declared);
        var buffer = new ArrayBufferWriter<byte>((int)Math.Min(request.ContentLength ?? 16 * 1024, limit) + 1);
        try
        {
            while (true)
            {
                var n = await request.Body.ReadAsync(buffer.GetMemory(16 * 1024), cancel);
                if (n == 0) break;
                buffer.Advance(n);
                if (buffer.WrittenCount > limit) throw TooLarge(limit, null);
            }
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            throw TooLarge(limit, null);
        }

        // 2) UTF-8, naming the field that holds the bad bytes
        var bytes = buffer.WrittenSpan;
        if (!Utf8.IsValid(bytes))
        {
            var offset = FirstInvalid(bytes);
            var field = FieldHolding(Lenient.GetString(bytes), '\uFFFD') ?? "body";
            throw ApiError.BadRequest(field,
                $"the request body is not valid UTF-8 (byte 0x{bytes[offset]:X2} at offset {offset}{(field == "body" ? "" : $", in '{field}'")}). HINT: send the body as UTF-8 JSON",
                "invalid_utf8");
        }

        // 3) JSON, then every string decodable (a lone surrogate escape such as "\ud800" is not)
        JsonNode? node;
        try { node = JsonNode.Parse(bytes, documentOptions: new JsonDocumentOptions { MaxDepth = 64 }); }
        catch (JsonException e) { throw ApiError.BadRequest("body", $"the request body is not valid JSON: {e.Message}", "invalid_json"); }
        if (BadString(node, "") is { } bad)
            throw ApiError.BadRequest(bad, $"'{bad}' is not valid text: it holds an unpaired UTF-16 surrogate escape (such as \\ud800). HINT: send well-formed Unicode", "invalid_string");
        return node;
    }

    static ApiError TooLarge(long limit, long? size) => new(413, "invalid_request_error",
        $"the request body is {(size is { } s ? $"{s:N0} bytes" : "larger than the limit")}; this server accepts at most {limit:N0} bytes (ServeOptions.MaxRequestBytes, --max-request-bytes). HINT: shorten the conversation, or start the server with a larger --max-request-bytes",
        "body", "request_too_large");

    static int FirstInvalid(ReadOnlySpan<byte> bytes)
    {
        for (var i = 0; i < bytes.Length;)
        {
            if (Rune.DecodeFromUtf8(bytes[i..], out _, out var consumed) != OperationStatus.Done) return i;
            i += consumed;
        }
        return 0;
    }

    /// <summary>The path ("messages[1].content") of the first key or string holding <paramref name="c"/>, or null.</summary>
    static string? FieldHolding(string json, char c)
    {
        try { return Find(JsonNode.Parse(json), "", s => s.Contains(c)); }
        catch (Exception e) when (e is JsonException or InvalidOperationException) { return null; }
    }

    static string? BadString(JsonNode? node, string path) => Find(node, path, _ => false);

    /// <summary>Walks the tree; returns the path of the first string that <paramref name="match"/>es or cannot be decoded.</summary>
    static string? Find(JsonNode? node, string path, Func<string, bool> match)
    {
        switch (node)
        {
            case JsonObject o:
                foreach (var (key, value) in o)
                {
                    var p = path.Length == 0 ? key : $"{path}.{key}";
                    if (match(key)) return p;
                    if (Find(value, p, match) is { } f) return f;
                }
                return null;
            case JsonArray a:
                for (var i = 0; i < a.Count; i++)
                    if (Find(a[i], $"{path}[{i}]", match) is { } f) return f;
                return null;
            case JsonValue v when v.GetValueKind() == JsonValueKind.String:
                try { return match(v.GetValue<string>()) ? (path.Length == 0 ? "body" : path) : null; }
                catch (InvalidOperationException) { return path.Length == 0 ? "body" : path; }
            default:
                return null;
        }
    }
}
