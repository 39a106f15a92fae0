// libtorch's random generator, the live-tensor count (Tensor.TotalCount, process-wide) and the autocast switches are
// process state: a seeded test, a test counting live tensors and any test creating tensors must not run at once, so the
// whole assembly runs one test at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
