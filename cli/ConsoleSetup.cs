using Spectre.Console;

namespace Toolkit.Cli;

/// <summary>
/// Where the CLI writes: data (encodings, renderings, answers) on stdout, errors and progress on stderr, and colour
/// only on a terminal: ANSI codes are off for a stream that is redirected, and everywhere when NO_COLOR is set
/// (https://no-color.org) or TERM is "dumb".
/// </summary>
static class ConsoleSetup
{
    /// <summary>Exit code: success.</summary>
    public const int Ok = 0;

    /// <summary>Exit code: the command failed; the message on stderr names the file or option, what is wrong and what to do.</summary>
    public const int Failed = 1;

    /// <summary>Exit code: the command line itself is wrong (unknown option, missing argument).</summary>
    public const int Usage = 2;

    /// <summary>The exit codes, for --help.</summary>
    public const string ExitCodes = "Exit codes: 0 success; 1 failure (the message on stderr names the file or option and what to do); 2 bad command line. " +
                                    "Data goes to stdout, errors and progress to stderr; no colour when redirected or when NO_COLOR is set.";

    /// <summary>Spectre console on stderr, for errors and progress.</summary>
    public static IAnsiConsole Error { get; private set; } = Create(Console.Error, Console.IsErrorRedirected);

    /// <summary>Points Spectre's default console (progress, tables, rules) at stderr, coloured only where allowed.</summary>
    public static void Configure()
    {
        Error = Create(Console.Error, Console.IsErrorRedirected);
        AnsiConsole.Console = Error;
    }

    /// <summary>True when colour may be written to a stream that <paramref name="redirected"/> says is (not) a terminal.</summary>
    public static bool ColourAllowed(bool redirected) =>
        !redirected && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("NO_COLOR")) && Environment.GetEnvironmentVariable("TERM") != "dumb";

    /// <summary>One error line on stderr, "error: MESSAGE": red on a terminal, plain and unwrapped otherwise.</summary>
    public static void WriteError(string message)
    {
        if (ColourAllowed(Console.IsErrorRedirected)) Error.MarkupLineInterpolated($"[red]error:[/] {message}");
        else Console.Error.WriteLine($"error: {message}");
    }

    static IAnsiConsole Create(TextWriter writer, bool redirected)
    {
        var colour = ColourAllowed(redirected);
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(writer),
            Ansi = colour ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = colour ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = colour ? InteractionSupport.Detect : InteractionSupport.No,
        });
        if (redirected) console.Profile.Width = 4096;   // a pipe has no width: do not wrap lines at 80
        return console;
    }
}
