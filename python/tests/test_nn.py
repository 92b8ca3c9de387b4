"""oaconv.nn modules against torch.nn's, and convert() on torchvision models: same results and
gradients, shared parameters, the same losses over SGD steps."""
import copy

import pytest
import torch
import torchvision

import oaconv

KINDS = [
    ("Conv1d", dict(in_channels=3, out_channels=4, kernel_size=5, padding=2), (2, 3, 30)),
    ("Conv2d", dict(in_channels=3, out_channels=4, kernel_size=3, stride=2, padding=1), (2, 3, 15, 16)),
    ("Conv3d", dict(in_channels=2, out_channels=3, kernel_size=3, padding="same"), (1, 2, 6, 7, 5)),
    ("ConvTranspose1d", dict(in_channels=4, out_channels=2, kernel_size=4, stride=2, padding=1), (2, 4, 11)),
    ("ConvTranspose2d", dict(in_channels=4, out_channels=6, kernel_size=3, stride=2, groups=2), (1, 4, 7, 6)),
    ("ConvTranspose3d", dict(in_channels=2, out_channels=2, kernel_size=2, stride=2), (1, 2, 3, 4, 3)),
]


def relative_error(a, b):
    return ((a - b).norm() / b.norm().clamp_min(1e-30)).item()


@pytest.mark.parametrize("algorithm", ["direct", "fft", "oaa", "auto"])
@pytest.mark.parametrize("kind", KINDS, ids=[k[0] for k in KINDS])
def test_modules_initialise_and_compute_as_torch_nn(kind, algorithm):
    name, kwargs, size = kind
    torch.manual_seed(0)
    reference = getattr(torch.nn, name)(**kwargs).double()
    torch.manual_seed(0)
    module = getattr(oaconv.nn, name)(**kwargs, algorithm=algorithm).double()
    assert isinstance(module, getattr(torch.nn, name))
    assert torch.equal(module.weight, reference.weight) and torch.equal(module.bias, reference.bias)
    assert "algorithm=" + algorithm in repr(module)
    x = torch.randn(size, dtype=torch.float64)
    y_ref, y = reference(x), module(x)
    assert relative_error(y, y_ref) <= 1e-9
    y.sum().backward()
    y_ref.sum().backward()
    assert relative_error(module.weight.grad, reference.weight.grad) <= 1e-9
    assert relative_error(module.bias.grad, reference.bias.grad) <= 1e-9


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
def test_padding_modes_match_torch(mode):
    torch.manual_seed(0)
    reference = torch.nn.Conv2d(2, 3, 5, padding=2, padding_mode=mode).double()
    module = oaconv.nn.Conv2d(2, 3, 5, padding=2, padding_mode=mode, algorithm="oaa").double()
    module.load_state_dict(reference.state_dict())
    x = torch.randn(2, 2, 12, 11, dtype=torch.float64)
    assert relative_error(module(x), reference(x)) <= 1e-9


def test_transposed_forward_takes_an_output_size():
    module = oaconv.nn.ConvTranspose2d(4, 2, 3, stride=2, padding=1, algorithm="fft")
    reference = torch.nn.ConvTranspose2d(4, 2, 3, stride=2, padding=1)
    reference.load_state_dict(module.state_dict())
    x = torch.randn(1, 4, 8, 8)
    y = module(x, output_size=[16, 16])
    assert y.shape == (1, 2, 16, 16)
    assert relative_error(y, reference(x, output_size=[16, 16])) <= 1e-5


def test_state_dicts_move_between_torch_and_oaconv_modules():
    reference = torch.nn.Conv3d(2, 4, 3)
    module = oaconv.nn.Conv3d(2, 4, 3)
    module.load_state_dict(reference.state_dict())
    back = torch.nn.Conv3d(2, 4, 3)
    back.load_state_dict(module.state_dict())
    assert torch.equal(back.weight, reference.weight)
    with pytest.raises(ValueError):
        oaconv.nn.Conv2d(2, 4, 3, algorithm="fast")


MODELS = [
    ("resnet18", "oaa", (2, 3, 64, 64)),
    ("mobilenet_v2", "direct", (2, 3, 64, 64)),
    ("convnext_tiny", "fft", (1, 3, 64, 64)),
    ("efficientnet_b0", "auto", (2, 3, 64, 64)),
]


def convolutions(model):
    kinds = (torch.nn.Conv1d, torch.nn.Conv2d, torch.nn.Conv3d, torch.nn.ConvTranspose1d, torch.nn.ConvTranspose2d,
             torch.nn.ConvTranspose3d)
    return sum(1 for m in model.modules() if type(m) in kinds)


def without_randomness(model):
    """Dropout and stochastic depth off: the two copies must see the same network (auto's
    measuring draws random numbers, so the copies' dropout masks would differ)."""
    for m in model.modules():
        if isinstance(m, (torch.nn.Dropout, torchvision.ops.StochasticDepth)):
            m.p = 0.0
    return model


@pytest.mark.parametrize("model_name,algorithm,size", MODELS, ids=[m[0] for m in MODELS])
def test_convert_keeps_results_gradients_losses_and_parameters(model_name, algorithm, size):
    torch.manual_seed(0)
    reference = without_randomness(getattr(torchvision.models, model_name)(num_classes=10).double())
    model = copy.deepcopy(reference)
    parameters = [id(p) for p in model.parameters()]
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)  # made before: must still train them
    expected_count = convolutions(model)
    assert oaconv.convert(model, algorithm) == expected_count > 0
    assert convolutions(model) == 0 and [id(p) for p in model.parameters()] == parameters
    assert oaconv.set_algorithm(model, algorithm) == expected_count
    reference_optimizer = torch.optim.SGD(reference.parameters(), lr=0.01)
    x = torch.randn(size, dtype=torch.float64)
    target = torch.randint(0, 10, (size[0],))
    for step in range(3):
        losses = []
        for net, opt in ((reference, reference_optimizer), (model, optimizer)):
            opt.zero_grad()
            loss = torch.nn.functional.cross_entropy(net(x), target)
            loss.backward()
            losses.append(loss.item())
            if step == 0:
                # All gradients as one vector: some are rounding noise around an exact zero (the
                # bias of a BatchNorm whose output feeds another's), where per-tensor ratios mean
                # nothing.
                grads = torch.cat([p.grad.flatten() for p in net.parameters()])
                if net is reference:
                    reference_grads = grads
                else:
                    error = relative_error(grads, reference_grads)
                    assert error <= 1e-9, "step 0: the gradients differ by %g" % error
            opt.step()
        assert abs(losses[1] - losses[0]) <= 1e-7 * abs(losses[0]), (step, losses)


@pytest.mark.parametrize("algorithm", ["direct", "fft", "auto"])
def test_convert_patch_embedding_and_transposed_upsampling(algorithm):
    """Strides at the kernel (a ViT-style k4 s4 patch embedding, a 1x1 stride-2 shortcut, a k2
    s2 transposed upsampling as U-Nets have): results and every gradient as torch's."""
    torch.manual_seed(0)

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.patches = torch.nn.Conv2d(3, 8, 4, stride=4)
            self.shortcut = torch.nn.Conv2d(8, 6, 1, stride=2)
            self.up = torch.nn.ConvTranspose2d(6, 4, 2, stride=2)

        def forward(self, x):
            return self.up(self.shortcut(self.patches(x)))

    reference = Net().double()
    model = copy.deepcopy(reference)
    assert oaconv.convert(model, algorithm) == 3
    x = torch.randn(2, 3, 37, 35, dtype=torch.float64)
    outputs, grads = [], []
    for net in (reference, model):
        xi = x.clone().requires_grad_(True)
        y = net(xi)
        y.backward(torch.ones_like(y) + y.detach())
        outputs.append(y.detach())
        grads.append(torch.cat([xi.grad.flatten()] + [p.grad.flatten() for p in net.parameters()]))
    assert relative_error(outputs[1], outputs[0]) <= 1e-10
    assert relative_error(grads[1], grads[0]) <= 1e-10


@pytest.mark.parametrize("algorithm", ["direct", "winograd", "auto"])
def test_channels_last_model_keeps_its_layout(algorithm):
    """A model run channels-last (PyTorch's CPU recipe): every converted layer's result comes back
    channels-last as torch's does, so the layers after it stay in that layout; the numbers and
    every gradient are torch's."""
    torch.manual_seed(0)
    reference = torch.nn.Sequential(
        torch.nn.Conv2d(3, 8, 3, padding=1), torch.nn.BatchNorm2d(8), torch.nn.ReLU(),
        torch.nn.Conv2d(8, 8, 3, padding=1, groups=8), torch.nn.Conv2d(8, 6, 1)).double()
    reference = reference.to(memory_format=torch.channels_last)
    model = copy.deepcopy(reference)
    assert oaconv.convert(model, algorithm) == 3
    x = torch.randn(2, 3, 17, 14, dtype=torch.float64).contiguous(memory_format=torch.channels_last)
    results = []
    for net in (reference, model):
        inner = []
        hooks = [m.register_forward_hook(lambda m, i, o: inner.append(o)) for m in net if not isinstance(m, torch.nn.ReLU)]
        xi = x.clone().requires_grad_(True)
        y = net(xi)
        y.backward(torch.ones_like(y) + y.detach())
        for h in hooks:
            h.remove()
        # One vector: the first layer's bias gradient is rounding noise around zero (a
        # BatchNorm follows), where a per-tensor ratio means nothing.
        results.append((inner, xi.grad, torch.cat([p.grad.flatten() for p in net.parameters()])))
    (want, want_gx, want_gp), (got, got_gx, got_gp) = results
    for a, b in zip(got, want):
        assert a.is_contiguous(memory_format=torch.channels_last) and a.stride() == b.stride()
        assert relative_error(a.detach(), b.detach()) <= 1e-10
    assert got_gx.stride() == want_gx.stride() and relative_error(got_gx, want_gx) <= 1e-10
    assert relative_error(got_gp, want_gp) <= 1e-10
