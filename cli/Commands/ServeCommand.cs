using System.CommandLine;
using Microsoft.Extensions.Logging;
using Toolkit.Runtime.Server;

namespace Toolkit.Cli.Commands;

/// <summary>
/// `toolkit serve --model DIR [--host 127.0.0.1] [--port 8000] [--api-key KEY] [--max-concurrency N] [--max-queue M]`:
/// an OpenAI-compatible server (POST /v1/chat/completions, streaming or not; GET /v1/models; GET /health) over a model
/// folder. Runs until SIGTERM or Ctrl-C, then stops taking connections, finishes the requests in flight and exits.
/// The API key can also come from the TOOLKIT_API_KEY environment variable (kept out of the process list).
/// </summary>
static class ServeCommand
{
    public static Command Create()
    {
        var d = new ServeOptions();
        var model = new Option<string>("--model") { Description = "ONNX Runtime GenAI model folder with a chat template (genai_config.json, model.onnx, tokenizer files).", Required = true };
        var name = new Option<string?>("--model-name") { Description = "The name clients pass as `model` and /v1/models lists (default: the folder's name)." };
        var host = new Option<string>("--host") { Description = "Address to listen on. Default 127.0.0.1 (this machine only); 0.0.0.0 or :: expose the model to the network (set --api-key then).", DefaultValueFactory = _ => d.Host };
        var port = new Option<int>("--port") { Description = "TCP port (0 = any free port).", DefaultValueFactory = _ => d.Port };
        var key = new Option<string?>("--api-key") { Description = "Require `Authorization: Bearer KEY` on /v1 (else 401). Default: $TOOLKIT_API_KEY, else no key." };
        var concurrency = new Option<int>("--max-concurrency") { Description = "Requests generating at the same time (1..256); each has its own KV cache, all share one ONNX Runtime session.", DefaultValueFactory = _ => d.MaxConcurrency };
        var queue = new Option<int>("--max-queue") { Description = "Requests allowed to wait when every slot is busy (0..10000); one more gets 429 with Retry-After.", DefaultValueFactory = _ => d.MaxQueue };
        var threads = new Option<int?>("--threads") { Description = "ONNX Runtime intra-op threads (default: genai_config.json's, else one per core)." };
        var device = DeviceOption.Create();
        var shutdown = new Option<double>("--shutdown-timeout") { Description = "Seconds a shutdown waits for requests in flight and queued before cutting them off.", DefaultValueFactory = _ => d.ShutdownTimeout.TotalSeconds };
        var maxBytes = new Option<long>("--max-request-bytes") { Description = "Largest request body accepted, in bytes (1024..1073741824); a larger one gets 413 before it is read.", DefaultValueFactory = _ => d.MaxRequestBytes };
        var verbose = new Option<bool>("--verbose") { Description = "Log every request (ASP.NET Core's information log)." };
        var command = new Command("serve", "Serve a model folder behind an OpenAI-compatible API (/v1/chat/completions, /v1/models).")
        {
            model, name, host, port, key, concurrency, queue, threads, device, shutdown, verbose, maxBytes,
        };
        command.SetAction(parse =>
        {
            var options = new ServeOptions
            {
                Model = parse.GetValue(model)!, ModelName = parse.GetValue(name), Host = parse.GetValue(host)!, Port = parse.GetValue(port),
                ApiKey = parse.GetValue(key) ?? Environment.GetEnvironmentVariable("TOOLKIT_API_KEY"),
                MaxConcurrency = parse.GetValue(concurrency), MaxQueue = parse.GetValue(queue), Threads = parse.GetValue(threads), Device = parse.GetValue(device),
                ShutdownTimeout = TimeSpan.FromSeconds(parse.GetValue(shutdown)), MaxRequestBytes = parse.GetValue(maxBytes),
            }.Validate();
            // SIGTERM and Ctrl-C reach the host's console lifetime, which starts the graceful stop that WaitForShutdownAsync awaits
            var server = ChatServer.StartAsync(options, log: Console.Error.WriteLine, logLevel: parse.GetValue(verbose) ? LogLevel.Information : LogLevel.Warning)
                .GetAwaiter().GetResult();
            try
            {
                Console.Error.WriteLine($"serving {server.Engine.Model.Folder} as '{server.ModelName}' at {server.BaseAddress}v1 " +
                    $"({options.MaxConcurrency} at once, {options.MaxQueue} queued; {(string.IsNullOrEmpty(options.ApiKey) ? "no API key" : "API key required")}). Ctrl-C to stop.");
                server.WaitForShutdownAsync().GetAwaiter().GetResult();
                var s = server.Stats;
                Console.Error.WriteLine($"stopped: {s.Completed} completed, {s.Cancelled} cancelled, {s.Failed} failed, {server.Admission.Rejected} refused (queue full)");
            }
            finally
            {
                server.DisposeAsync().AsTask().GetAwaiter().GetResult();
            }
            return 0;
        });
        return command;
    }
}
