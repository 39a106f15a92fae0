using System.CommandLine;

namespace Toolkit.Cli;

static class Program
{
    static int Main(string[] args)
    {
        var root = new RootCommand("toolkit: train → export → quantize → evaluate a chat model, offline.");
        return root.Parse(args).Invoke();
    }
}
