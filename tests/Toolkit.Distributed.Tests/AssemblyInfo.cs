// Each test starts 2 ranks on the 2 cores: run them one at a time.
[assembly: Xunit.CollectionBehavior(DisableTestParallelization = true)]
