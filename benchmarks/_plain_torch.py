"""Reference SimCLR training step in plain PyTorch: `nn.Module`s (NCHW), `torch.optim.Adam`,
`torch.autocast` for bfloat16, optional `torch.compile`. No Keras. Used by
`training_throughput.py`."""

import numpy as np
import torch
from torch import nn

# Keras's BatchNormalization defaults: momentum 0.99 (torch counts 1 - momentum), eps 1e-3.
BN = {"eps": 1e-3, "momentum": 0.01}


def _conv_bn(cin, cout, kernel_size=3, stride=1, zero_gamma=False):
    bn = nn.BatchNorm2d(cout, **BN)
    if zero_gamma:
        nn.init.zeros_(bn.weight)
    conv = nn.Conv2d(cin, cout, kernel_size, stride, padding=kernel_size // 2, bias=False)
    nn.init.kaiming_normal_(conv.weight, nonlinearity="relu")
    return nn.Sequential(conv, bn)


class SmallCNN(nn.Module):
    def __init__(self, width=64, output_dim=256):
        super().__init__()
        layers, cin = [], 3
        for filters in (width, 2 * width, output_dim):
            layers += [_conv_bn(cin, filters), nn.ReLU(), _conv_bn(filters, filters), nn.ReLU(),
                       nn.MaxPool2d(2)]
            cin = filters
        self.features = nn.Sequential(*layers)

    def forward(self, x):
        return self.features(x).mean(dim=(2, 3))


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.branch = nn.Sequential(_conv_bn(cin, cout, 3, stride), nn.ReLU(),
                                    _conv_bn(cout, cout, 3, 1, zero_gamma=True))
        self.shortcut = (_conv_bn(cin, cout, 1, stride) if stride != 1 or cin != cout
                         else nn.Identity())

    def forward(self, x):
        return torch.relu(self.shortcut(x) + self.branch(x))


class ResNet18(nn.Module):
    def __init__(self, width=64):
        super().__init__()
        layers, cin = [_conv_bn(3, width), nn.ReLU()], width
        for stage, stride in enumerate((1, 2, 2, 2)):
            cout = width * 2**stage
            layers += [BasicBlock(cin, cout, stride), BasicBlock(cout, cout, 1)]
            cin = cout
        self.features = nn.Sequential(*layers)

    def forward(self, x):
        return self.features(x).mean(dim=(2, 3))


class SimCLRNet(nn.Module):
    def __init__(self, encoder: str):
        super().__init__()
        self.encoder = SmallCNN() if encoder == "small_cnn" else ResNet18()
        features = 256 if encoder == "small_cnn" else 512
        self.head = nn.Sequential(nn.Linear(features, 512, bias=False),
                                  nn.BatchNorm1d(512, **BN), nn.ReLU(), nn.Linear(512, 128))

    def forward(self, views):
        return self.head(self.encoder(views))


def nt_xent(z, temperature):
    """SimCLR's loss on the stacked views `z = [z_a; z_b]`, float32, the textbook way."""
    z = nn.functional.normalize(z.float(), dim=-1, eps=1e-6)
    logits = z @ z.T / temperature
    two_n = z.shape[0]
    eye = torch.eye(two_n, dtype=torch.bool, device=z.device)
    logits = logits.masked_fill(eye, float("-inf"))
    positive = (torch.arange(two_n, device=z.device) + two_n // 2) % two_n
    return nn.functional.cross_entropy(logits, positive)


class PlainTorchTrainer:
    """`trainer.step(images)` runs one step and returns the loss (a torch tensor)."""

    framework = "plain PyTorch (nn.Module, torch.optim.Adam)"

    def __init__(self, encoder, image_shape, precision, compile=False, channels_last=False,
                 learning_rate=1e-3, temperature=0.5, seed=0):
        del image_shape
        torch.manual_seed(seed)
        self.device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
        self.model = SimCLRNet(encoder).to(self.device)
        self.memory_format = torch.channels_last if channels_last else torch.contiguous_format
        self.model = self.model.to(memory_format=self.memory_format)
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=learning_rate, eps=1e-7)
        self.autocast = precision == "mixed_bfloat16"
        self.temperature = temperature
        self.loss_fn = torch.compile(self._loss) if compile else self._loss
        if compile:
            self.framework += " + torch.compile"
        if channels_last:
            self.framework += " channels_last"

    def _loss(self, images):
        x = images.permute(0, 3, 1, 2).float()
        views = torch.cat([x, x.flip(3)], dim=0) / 255.0  # see the benchmark
        views = views.contiguous(memory_format=self.memory_format)
        with torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=self.autocast):
            z = self.model(views)
        return nt_xent(z, self.temperature)

    def step(self, images: np.ndarray):
        images = torch.from_numpy(images).to(self.device, non_blocking=True)
        loss = self.loss_fn(images)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()
        return loss
