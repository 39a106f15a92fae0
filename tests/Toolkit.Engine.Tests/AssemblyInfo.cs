// libtorch's random generator, Tensor.TotalCount and the autocast switches are process state: test classes that
// draw from them (a seeded ActivationCheckpointTests, LiveTensorsTests counting every live tensor) must not run at once.
[assembly: Xunit.CollectionBehavior(DisableTestParallelization = true)]
