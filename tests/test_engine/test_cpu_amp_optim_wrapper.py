import torch
import torch.nn as nn
from mmengine.registry import OPTIM_WRAPPERS


def test_cpu_amp_trains_in_bf16_and_keeps_fp32_params():
    torch.manual_seed(0)
    model = nn.Sequential(
        nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8, 2))
    wrapper = OPTIM_WRAPPERS.build(
        dict(
            type='CPUAmpOptimWrapper',
            optimizer=torch.optim.SGD(model.parameters(), lr=0.1)))
    before = [p.detach().clone() for p in model.parameters()]
    x = torch.randn(4, 3, 16, 16)
    with wrapper.optim_context(model):
        conv_out = model[0](x)
        logits = model(x)
        loss = nn.functional.cross_entropy(logits.float(),
                                           torch.tensor([0, 1, 0, 1]))
    assert conv_out.dtype == torch.bfloat16
    assert torch.isfinite(loss)
    wrapper.update_params(loss)
    assert model[0].weight.is_contiguous(memory_format=torch.channels_last)
    for p, b in zip(model.parameters(), before):
        assert p.dtype == torch.float32
        assert not torch.equal(p, b), 'a parameter was not updated'
    # Outside the context the model runs in fp32 again.
    assert model(x).dtype == torch.float32


def test_cpu_amp_keeps_weight_standardised_convs_contiguous():
    """mmcv's ConvWS2d does ``weight.view``; a channels_last weight breaks
    it (the GN+WS U-Net under ``--amp`` crashed before this was handled)."""
    from mmcv.cnn import build_conv_layer
    torch.manual_seed(0)
    ws = build_conv_layer(dict(type='ConvWS'), 3, 8, 3, padding=1)
    model = nn.Sequential(ws, nn.GroupNorm(4, 8), nn.ReLU(),
                          nn.Conv2d(8, 2, 3, padding=1))
    wrapper = OPTIM_WRAPPERS.build(
        dict(
            type='CPUAmpOptimWrapper',
            optimizer=torch.optim.SGD(model.parameters(), lr=0.1)))
    before = [p.detach().clone() for p in model.parameters()]
    with wrapper.optim_context(model):
        loss = model(torch.randn(2, 3, 16, 16)).float().pow(2).mean()
    assert torch.isfinite(loss)
    wrapper.update_params(loss)
    assert ws.weight.is_contiguous()
    assert model[3].weight.is_contiguous(memory_format=torch.channels_last)
    for p, b in zip(model.parameters(), before):
        assert not torch.equal(p, b), 'a parameter was not updated'
