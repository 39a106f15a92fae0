using System.Text.Json.Nodes;

namespace Toolkit.Runtime.Server;

/// <summary>
/// An error answered in OpenAI's shape: HTTP <see cref="Status"/> with
/// <c>{"error": {"message", "type", "param", "code"}}</c>. Thrown while a request is read and checked; the endpoint
/// turns it into the response.
/// </summary>
public sealed class ApiError : Exception
{
    /// <summary>HTTP status (400, 401, 404, 429, 503, 500).</summary>
    public int Status { get; }

    /// <summary>OpenAI's error type: invalid_request_error, authentication_error, rate_limit_error, server_error.</summary>
    public string Type { get; }

    /// <summary>The request field at fault (e.g. "temperature", "messages[1].role"), or null.</summary>
    public string? Param { get; }

    /// <summary>A machine-readable code (invalid_api_key, model_not_found, context_length_exceeded, ...), or null.</summary>
    public string? Code { get; }

    public ApiError(int status, string type, string message, string? param = null, string? code = null) : base(message)
    {
        Status = status;
        Type = type;
        Param = param;
        Code = code;
    }

    /// <summary>400 invalid_request_error naming <paramref name="param"/>.</summary>
    public static ApiError BadRequest(string param, string message, string? code = "invalid_value") =>
        new(400, "invalid_request_error", message, param, code);

    /// <summary>The JSON body.</summary>
    public JsonObject ToJson() => Body(Message, Type, Param, Code);

    /// <summary>An OpenAI-style error body.</summary>
    public static JsonObject Body(string message, string type, string? param, string? code) => new()
    {
        ["error"] = new JsonObject { ["message"] = message, ["type"] = type, ["param"] = param, ["code"] = code },
    };
}
