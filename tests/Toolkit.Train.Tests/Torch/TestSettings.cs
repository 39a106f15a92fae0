// The live-tensor counts are process-wide: tests that create tensors must not run beside one another.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
