using Toolkit.Train.Training;
using Xunit.Abstractions;

namespace Toolkit.Train.Tests.Training;

/// <summary>
/// --bf16 auto|true|false: the default is auto; auto turns bf16 on only where the CPU lists bf16 units and bf16 GEMM
/// measured faster; an explicit true on a CPU where it is slower warns with the measured slowdown.
/// </summary>
public sealed class Bf16PolicyTests(ITestOutputHelper output)
{
    // the EPYC figures (4.6 vs 124 GFLOP/s, no bf16 flags) and a Sapphire Rapids-like AMX machine
    static readonly Bf16Policy.Measurement Epyc = new(124, 4.6, "AMD EPYC (family 25)", [], 512);
    static readonly Bf16Policy.Measurement Spr = new(110, 520, "Intel Xeon (Sapphire Rapids)", ["amx_bf16", "avx512_bf16"], 512);
    static readonly Bf16Policy.Measurement Zen4Slow = new(90, 60, "AMD EPYC (Zen 4)", ["avx512_bf16"], 512);

    [Fact]
    public void Default_is_auto_and_the_words_bind_from_cli_and_yaml()
    {
        Assert.Equal(Bf16Mode.Auto, new SftOptions().Bf16);
        Assert.Equal(Bf16Mode.Auto, PreferenceOptions.For("dpo").Bf16);
        var entry = OptionBinder.Find(typeof(SftOptions), "bf16")!;
        Assert.Equal(Bf16Mode.False, OptionBinder.Parse(entry, "false", "--bf16"));
        Assert.Equal(Bf16Mode.True, OptionBinder.Parse(entry, "yes", "--bf16"));
        Assert.Equal(Bf16Mode.Auto, OptionBinder.Parse(entry, "auto", "--bf16"));
        var e = Assert.Throws<ArgumentException>(() => OptionBinder.Parse(entry, "maybe", "--bf16"));
        Assert.Contains("auto, true, false", e.Message);
    }

    [Fact]
    public void Auto_follows_the_measurement_and_the_cpu_flags()
    {
        var (epycUse, epycLine) = Bf16Policy.Decide(Bf16Mode.Auto, Epyc);
        Assert.False(epycUse);
        Assert.Contains("no bf16 units", epycLine);
        Assert.Contains("4.6 GFLOP/s", epycLine);
        Assert.Contains("124 GFLOP/s", epycLine);
        var (sprUse, sprLine) = Bf16Policy.Decide(Bf16Mode.Auto, Spr);
        Assert.True(sprUse);
        Assert.StartsWith("bf16: on (--bf16 auto", sprLine);
        var (zenUse, zenLine) = Bf16Policy.Decide(Bf16Mode.Auto, Zen4Slow);
        Assert.False(zenUse);                                            // flags present, but measured slower
        Assert.Contains("not ≥ 1.1× faster", zenLine);
        output.WriteLine(epycLine);
        output.WriteLine(sprLine);
    }

    [Fact]
    public void Explicit_true_warns_with_the_measured_slowdown_and_false_measures_nothing()
    {
        var (use, line) = Bf16Policy.Decide(Bf16Mode.True, Epyc);
        Assert.True(use);
        Assert.StartsWith("WARNING", line);
        Assert.Contains("27× slower", line);                             // 124 / 4.6 = 26.96
        Assert.DoesNotContain("WARNING", Bf16Policy.Decide(Bf16Mode.True, Spr).Line);
        Assert.Equal((false, "bf16: off (--bf16 false): exact float32"), Bf16Policy.Decide(Bf16Mode.False, Epyc));
    }

    [Fact]
    public void This_machine_is_measured_once_and_the_cpu_flags_are_read()
    {
        var m = Bf16Policy.Measured;
        Assert.Same(m, Bf16Policy.Measured);                             // cached for the process
        var (cpu, flags) = Bf16Policy.CpuInfo();
        Assert.Equal(cpu, m.Cpu);
        Assert.Equal(flags, m.Flags);
        var cpuinfo = File.ReadAllText("/proc/cpuinfo");
        Assert.Equal(cpuinfo.Contains(" amx_bf16"), flags.Contains("amx_bf16"));
        Assert.Equal(cpuinfo.Contains(" avx512_bf16"), flags.Contains("avx512_bf16"));
        Assert.True(m.Fp32Gflops > 0 && m.Bf16Gflops > 0);
        output.WriteLine(Bf16Policy.Decide(Bf16Mode.Auto).Line);
    }
}
