"""GPU timing shared by the device scripts: CUDA events around `iters` calls after `warm` untimed ones."""
import torch


def bench(fn, iters=20, warm=5):
    """Mean seconds per call of `fn` on the current CUDA stream."""
    for _ in range(warm):
        fn()
    torch.cuda.synchronize()
    start = torch.cuda.Event(enable_timing=True)
    end = torch.cuda.Event(enable_timing=True)
    start.record()
    for _ in range(iters):
        fn()
    end.record()
    torch.cuda.synchronize()
    return start.elapsed_time(end) / 1e3 / iters
