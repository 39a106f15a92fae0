using Toolkit.Runtime.Server;

namespace Toolkit.Export.Tests.Server;

/// <summary>The admission queue alone: slots, FIFO hand-over, refusal when full, a cancelled waiter leaving the queue.</summary>
public sealed class AdmissionQueueTests
{
    [Fact]
    public async Task Slots_pass_to_waiters_in_arrival_order_and_a_full_queue_refuses_at_once()
    {
        var q = new AdmissionQueue(maxConcurrency: 2, maxQueue: 2);
        var a = await q.TryEnterAsync();
        var b = await q.TryEnterAsync();
        Assert.NotNull(a);
        Assert.NotNull(b);
        var c = q.TryEnterAsync();
        var d = q.TryEnterAsync();
        Assert.Equal((2, 2), (q.Running, q.Waiting));
        Assert.Null(await q.TryEnterAsync());   // full: refused without waiting
        Assert.Equal(1, q.Rejected);
        Assert.False(c.IsCompleted || d.IsCompleted);

        a!.Dispose();
        var cSlot = await c.WaitAsync(TimeSpan.FromSeconds(5));   // the oldest waiter gets the slot
        Assert.False(d.IsCompleted);
        a.Dispose();   // a second dispose of the same slot releases nothing
        Assert.False(d.IsCompleted);
        Assert.Equal((2, 1), (q.Running, q.Waiting));

        b!.Dispose();
        var dSlot = await d.WaitAsync(TimeSpan.FromSeconds(5));
        cSlot!.Dispose();
        dSlot!.Dispose();
        Assert.Equal((0, 0), (q.Running, q.Waiting));
    }

    [Fact]
    public async Task A_cancelled_waiter_leaves_the_queue_and_gets_no_slot()
    {
        var q = new AdmissionQueue(maxConcurrency: 1, maxQueue: 1);
        var held = await q.TryEnterAsync();
        using var gone = new CancellationTokenSource();
        var waiter = q.TryEnterAsync(gone.Token);
        Assert.Equal(1, q.Waiting);
        gone.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiter);
        Assert.Equal(0, q.Waiting);
        var next = q.TryEnterAsync();   // room in the queue again
        held!.Dispose();
        (await next.WaitAsync(TimeSpan.FromSeconds(5)))!.Dispose();
        Assert.Equal(0, q.Running);
    }
}
