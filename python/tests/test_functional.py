"""oaconv.functional against torch.nn.functional: output and the gradients of input, weight and
bias, every kind and algorithm, float64 tight and float32 loose; gradcheck; errors."""
import pytest
import torch
import torch.nn.functional as F

import oaconv
import oaconv.functional as OF

ALGORITHMS = ["aten", "direct", "fft", "oaa", "auto"]
TOLERANCE = {torch.float64: 1e-9, torch.float32: 2e-4}

# (name, function name, input sizes, weight sizes, keyword arguments)
CASES = [
    ("c1_basic", "conv1d", (2, 3, 37), (4, 3, 5), dict(padding=2)),
    ("c1_stride_dilation_groups", "conv1d", (2, 4, 50), (6, 2, 7), dict(stride=3, dilation=2, padding=4, groups=2)),
    ("c1_same_even", "conv1d", (1, 3, 31), (3, 3, 4), dict(padding="same", dilation=2)),
    ("c1_long_kernel", "conv1d", (2, 2, 300), (3, 2, 65), dict(padding=32)),
    ("c1_unbatched", "conv1d", (3, 21), (4, 3, 3), dict()),
    ("c2_basic", "conv2d", (2, 3, 13, 11), (4, 3, 3, 3), dict(padding=1)),
    ("c2_tuple_args", "conv2d", (2, 4, 16, 15), (6, 2, 5, 3), dict(stride=(2, 1), padding=(2, 1), dilation=(1, 2),
                                                                  groups=2)),
    ("c2_valid_depthwise", "conv2d", (2, 6, 12, 12), (6, 1, 7, 7), dict(padding="valid", groups=6)),
    ("c2_large_kernel", "conv2d", (1, 2, 24, 20), (3, 2, 15, 15), dict(padding=7)),
    ("c2_same_even", "conv2d", (1, 2, 9, 10), (2, 2, 4, 2), dict(padding="same")),
    ("c3_basic", "conv3d", (2, 3, 7, 6, 5), (4, 3, 3, 3, 3), dict(padding=1)),
    ("c3_stride_groups", "conv3d", (1, 4, 9, 8, 10), (6, 2, 3, 2, 3), dict(stride=(2, 1, 2), padding=(1, 0, 1),
                                                                           groups=2)),
    ("t1_basic", "conv_transpose1d", (2, 4, 20), (4, 6, 5), dict(padding=2)),
    ("t1_output_padding", "conv_transpose1d", (2, 6, 17), (6, 2, 4), dict(stride=3, padding=1, output_padding=2,
                                                                          groups=2)),
    ("t2_upsample", "conv_transpose2d", (2, 8, 9, 10), (8, 4, 4, 4), dict(stride=2, padding=1)),
    ("t2_asymmetric", "conv_transpose2d", (1, 4, 7, 8), (4, 3, 3, 5), dict(stride=(2, 3), padding=(1, 2),
                                                                           output_padding=(1, 2), dilation=(1, 1))),
    ("t3_basic", "conv_transpose3d", (1, 3, 5, 6, 4), (3, 2, 3, 3, 3), dict(stride=2, padding=1,
                                                                            output_padding=(1, 0, 1))),
]


def run(function, x, w, b, kwargs, algorithm=None):
    """y and the gradients of x, w, b for a fixed random grad-output."""
    x = x.clone().requires_grad_(True)
    w = w.clone().requires_grad_(True)
    b = b.clone().requires_grad_(True)
    y = function(x, w, b, **kwargs) if algorithm is None else function(x, w, b, algorithm=algorithm, **kwargs)
    g = torch.randn(y.shape, dtype=y.dtype, generator=torch.Generator().manual_seed(1))
    y.backward(g)
    return y.detach(), x.grad, w.grad, b.grad


def relative_error(a, b):
    return ((a - b).norm() / b.norm().clamp_min(1e-30)).item()


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32], ids=["f64", "f32"])
@pytest.mark.parametrize("algorithm", ALGORITHMS)
@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_output_and_every_gradient_match_torch(case, algorithm, dtype):
    _, name, x_size, w_size, kwargs = case
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(x_size, dtype=dtype, generator=gen)
    w = torch.randn(w_size, dtype=dtype, generator=gen)
    bias_size = w_size[1] * kwargs.get("groups", 1) if name.startswith("conv_transpose") else w_size[0]
    b = torch.randn(bias_size, dtype=dtype, generator=gen)
    expected = run(getattr(F, name), x, w, b, kwargs)
    got = run(getattr(OF, name), x, w, b, kwargs, algorithm)
    assert got[0].shape == expected[0].shape
    for label, a, e in zip(("output", "grad input", "grad weight", "grad bias"), got, expected):
        assert relative_error(a, e) <= TOLERANCE[dtype], label


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_gradcheck_in_float64(algorithm):
    gen = torch.Generator().manual_seed(2)
    x = torch.randn(1, 2, 6, 5, dtype=torch.float64, generator=gen, requires_grad=True)
    w = torch.randn(3, 2, 3, 2, dtype=torch.float64, generator=gen, requires_grad=True)
    b = torch.randn(3, dtype=torch.float64, generator=gen, requires_grad=True)
    assert torch.autograd.gradcheck(lambda x, w, b: OF.conv2d(x, w, b, padding=1, algorithm=algorithm), (x, w, b))
    xt = torch.randn(1, 3, 5, dtype=torch.float64, generator=gen, requires_grad=True)
    wt = torch.randn(3, 2, 4, dtype=torch.float64, generator=gen, requires_grad=True)
    assert torch.autograd.gradcheck(
        lambda x, w: OF.conv_transpose1d(x, w, None, stride=2, padding=1, algorithm=algorithm), (xt, wt))


def test_an_unknown_algorithm_is_a_value_error():
    x, w = torch.randn(1, 2, 8, 8), torch.randn(3, 2, 3, 3)
    with pytest.raises(ValueError, match="unknown algorithm 'tiled'.*aten, direct, fft, oaa, winograd, auto"):
        OF.conv2d(x, w, algorithm="tiled")
    with pytest.raises(ValueError, match="invalid padding string 'full'"):
        OF.conv2d(x, w, padding="full")


def test_bad_shapes_raise_with_the_operation_and_the_rule():
    with pytest.raises(RuntimeError, match="oaconv::conv2d.*3 channels"):
        OF.conv2d(torch.randn(1, 4, 8, 8), torch.randn(2, 3, 3, 3))
    with pytest.raises(RuntimeError, match="output_padding"):
        OF.conv_transpose1d(torch.randn(1, 2, 8), torch.randn(2, 2, 3), stride=2, output_padding=2)


def test_the_package_reports_its_algorithms_caches_and_explanations():
    assert oaconv.algorithms() == ["aten", "direct", "fft", "oaa", "winograd", "auto"]
    assert oaconv.__version__.count(".") == 2
    oaconv.clear_caches()
    OF.conv2d(torch.randn(2, 3, 16, 16), torch.randn(4, 3, 5, 5), padding=2, algorithm="fft")
    stats = oaconv.cache_stats()
    assert set(stats) == {"plan_hits", "plan_misses", "kernel_hits", "kernel_misses", "kernel_bytes"}
    assert stats["plan_misses"] > 0 and stats["kernel_misses"] > 0
    text = oaconv.explain((8, 16, 64, 64), (32, 16, 7, 7), padding=3, algorithm="oaa")
    assert "N8 C16->32 64x64 k7x7" in text and "runs oaa" in text
    assert "transposed" in oaconv.explain((2, 8, 9, 9), (8, 4, 4, 4), stride=2, padding=1, transposed=True)
    was = oaconv.autotune_enabled()
    oaconv.set_autotune(False)
    assert not oaconv.autotune_enabled()
    oaconv.set_autotune(was)


def test_explain_reports_channels_last_calls_from_their_own_record():
    # A channels-last call of a shape auto has not seen: measured under its layout's record,
    # which explain(channels_last=True) reports; the contiguous record stays unmeasured.
    x = torch.randn(2, 5, 13, 11).contiguous(memory_format=torch.channels_last).requires_grad_(True)
    w = torch.randn(7, 5, 3, 3, requires_grad=True)
    OF.conv2d(x, w, padding=1).sum().backward()
    measured = oaconv.explain((2, 5, 13, 11), (7, 5, 3, 3), padding=1, channels_last=True)
    assert "layout: channels-last" in measured and "measured on this machine" in measured
    unmeasured = oaconv.explain((2, 5, 13, 11), (7, 5, 3, 3), padding=1)
    assert "layout: contiguous" in unmeasured and "not measured yet" in unmeasured
    with pytest.raises(RuntimeError, match="no channels-last layout"):
        oaconv.explain((2, 3, 50), (4, 3, 5), channels_last=True)


def test_torch_set_num_threads_is_the_thread_count_oaconv_runs_with():
    before = torch.get_num_threads()
    try:
        for threads in (1, 2):
            torch.set_num_threads(threads)
            assert "(%d threads)" % threads in oaconv.explain((2, 3, 16, 16), (4, 3, 5, 5), padding=2,
                                                              algorithm="fft")
    finally:
        torch.set_num_threads(before)


@pytest.mark.parametrize("algorithm", ALGORITHMS)
@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_results_take_in_place_ops(case, algorithm):
    """An in-place activation right after a convolution (torchvision's EfficientNet does it)."""
    _, name, x_size, w_size, kwargs = case
    x = torch.randn(x_size, dtype=torch.float64, requires_grad=True)
    w = torch.randn(w_size, dtype=torch.float64)
    y = getattr(OF, name)(x, w, None, algorithm=algorithm, **kwargs)
    torch.nn.functional.silu(y, inplace=True).sum().backward()
    xr = x.detach().clone().requires_grad_(True)
    torch.nn.functional.silu(getattr(F, name)(xr, w, None, **kwargs)).sum().backward()
    assert relative_error(x.grad, xr.grad) <= 1e-9


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_inference_mode_gives_torchs_numbers_and_training_after_it_still_does(algorithm):
    torch.manual_seed(5)
    x, w = torch.randn(2, 8, 21, 18), torch.randn(8, 2, 7, 7)
    with torch.inference_mode():
        first = OF.conv2d(x, w, padding=3, groups=4, algorithm=algorithm)
        second = OF.conv2d(x.clone(), w.clone(), padding=3, groups=4, algorithm=algorithm)
    want = F.conv2d(x, w, padding=3, groups=4)
    torch.testing.assert_close(first, want, rtol=1e-4, atol=1e-4)
    torch.testing.assert_close(second, want, rtol=1e-4, atol=1e-4)
    xg, wg = x.clone().requires_grad_(), w.clone().requires_grad_()
    OF.conv2d(xg, wg, padding=3, groups=4, algorithm=algorithm).square().sum().backward()
    xr, wr = x.clone().requires_grad_(), w.clone().requires_grad_()
    F.conv2d(xr, wr, padding=3, groups=4).square().sum().backward()
    torch.testing.assert_close(wg.grad, wr.grad, rtol=1e-4, atol=1e-3)
    torch.testing.assert_close(xg.grad, xr.grad, rtol=1e-4, atol=1e-3)
