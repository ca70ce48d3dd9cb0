"""Reference SimCLR training step in plain PyTorch: `nn.Module`s (NCHW), `torch.optim.Adam`,
`torch.autocast` for bfloat16, optional `torch.compile`. No Keras. Used by
`training_throughput.py`."""

import math

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
                 augment=False, learning_rate=1e-3, temperature=0.5, seed=0):
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
        # The augmentation runs eagerly (its boolean indexing has data-dependent shapes).
        self.augmentation = PlainTorchSimCLRAugmentation(self.device) if augment else None
        if augment:
            self.framework += " + hand-written SimCLR augmentation"
        if compile:
            self.framework += " + torch.compile"
        if channels_last:
            self.framework += " channels_last"

    def _loss(self, views):
        views = views.contiguous(memory_format=self.memory_format)
        with torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=self.autocast):
            z = self.model(views)
        return nt_xent(z, self.temperature)

    def step(self, images: np.ndarray):
        images = torch.from_numpy(images).to(self.device, non_blocking=True)
        with torch.no_grad():
            if self.augmentation is not None:
                views = self.augmentation.views(images)
            else:
                x = images.permute(0, 3, 1, 2).float()
                views = torch.cat([x, x.flip(3)], dim=0) / 255.0  # see the benchmark
        loss = self.loss_fn(views)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()
        return loss


def _luma(x):
    """ITU-R 601-2 luma of NCHW images, `(n, 1, h, w)` (torchvision's weights)."""
    return (0.2989 * x[:, 0:1] + 0.587 * x[:, 1:2] + 0.114 * x[:, 2:3])


def _adjust_hue(x, shift):
    """torchvision's hue rotation (RGB -> HSV, h + shift, HSV -> RGB) of NCHW images."""
    maximum, argmax = x.max(dim=1, keepdim=True)
    minimum = x.min(dim=1, keepdim=True).values
    delta = maximum - minimum
    safe = torch.where(delta > 0, delta, torch.ones_like(delta))
    r, g, b = x[:, 0:1], x[:, 1:2], x[:, 2:3]
    hue = torch.where(argmax == 0, (g - b) / safe,
                      torch.where(argmax == 1, (b - r) / safe + 2.0, (r - g) / safe + 4.0))
    hue = torch.remainder(hue / 6.0 + shift + 1.0, 1.0)
    offsets = torch.tensor([5.0, 3.0, 1.0], device=x.device).view(1, 3, 1, 1)
    k = torch.remainder(offsets + 6.0 * hue, 6.0)
    return maximum - delta * torch.clamp(torch.minimum(k, 4.0 - k), 0.0, 1.0)


class PlainTorchSimCLRAugmentation:
    """SimCLR's CIFAR augmentation written directly in PyTorch, the way a careful user
    vectorises it over the batch (per-image parameters, no Python loop over images):

    - random resized crop (scale (0.08, 1), ratio (3/4, 4/3), torchvision's 10 attempts
      then the central fallback, drawn for all images at once) and the horizontal flip
      (p 0.5), both folded into one affine grid per image: one `F.grid_sample`
      (bilinear; CIFAR crops never downscale, so no antialiasing is needed);
    - colour jitter with p 0.8 (torchvision's `ColorJitter(0.4, 0.4, 0.4, 0.1)`, a random
      order per image), computed only for the images it applies to (boolean indexing):
      four rounds in which every image applies the operation at that position of its
      order, the hue rotation (the expensive one) only for the images whose operation it
      is in that round;
    - grayscale with p 0.2.

    The same distribution as `ssl_keras.layers.SimCLRAugmentation(preset="cifar")` (up
    to the crop's interpolation at the box border); `views(images)` takes uint8 NHWC
    images and returns the 2N views, NCHW float in [0, 1].
    """

    def __init__(self, device, strength=0.5, seed=0):
        self.device = device
        self.generator = torch.Generator(device=device).manual_seed(seed)
        self.lower = torch.tensor([1 - 0.8 * strength] * 3 + [-0.2 * strength], device=device)
        self.upper = torch.tensor([1 + 0.8 * strength] * 3 + [0.2 * strength], device=device)

    def _uniform(self, *shape):
        return torch.rand(shape, generator=self.generator, device=self.device)

    def _crop_and_flip(self, x):
        n, _, height, width = x.shape
        attempts = 10
        area = height * width * (0.08 + 0.92 * self._uniform(n, attempts))
        log_ratio = math.log(3 / 4) + (math.log(4 / 3) - math.log(3 / 4)) * self._uniform(
            n, attempts)
        ratio = torch.exp(log_ratio)
        box_w = torch.round(torch.sqrt(area * ratio))
        box_h = torch.round(torch.sqrt(area / ratio))
        fits = (box_w > 0) & (box_w <= width) & (box_h > 0) & (box_h <= height)
        first = torch.where(fits, torch.arange(attempts, device=self.device), attempts).min(1)
        found = first.values < attempts
        index = first.values.clamp(max=attempts - 1)[:, None]
        box_w = torch.where(found, box_w.gather(1, index)[:, 0], float(width))
        box_h = torch.where(found, box_h.gather(1, index)[:, 0], float(height))
        offsets = self._uniform(n, 2)
        top = torch.minimum(torch.floor(offsets[:, 0] * (height - box_h + 1)), height - box_h)
        left = torch.minimum(torch.floor(offsets[:, 1] * (width - box_w + 1)), width - box_w)
        flip = torch.where(self._uniform(n) < 0.5, -1.0, 1.0)
        theta = torch.zeros(n, 2, 3, device=self.device)
        theta[:, 0, 0] = flip * box_w / width
        theta[:, 0, 2] = (2 * left + box_w) / width - 1
        theta[:, 1, 1] = box_h / height
        theta[:, 1, 2] = (2 * top + box_h) / height - 1
        grid = nn.functional.affine_grid(theta, list(x.shape), align_corners=False)
        return nn.functional.grid_sample(x, grid, mode="bilinear", padding_mode="border",
                                         align_corners=False)

    def _color_jitter(self, x):
        n = x.shape[0]
        factors = self.lower + (self.upper - self.lower) * self._uniform(n, 4)
        order = torch.argsort(self._uniform(n, 4), dim=1)
        for position in range(4):
            operation = order[:, position]
            factor = factors.gather(1, operation[:, None])[:, 0].view(n, 1, 1, 1)
            luma = _luma(x)
            reference = torch.where(
                (operation == 0).view(n, 1, 1, 1), 0.0,
                torch.where((operation == 1).view(n, 1, 1, 1),
                            luma.mean(dim=(1, 2, 3), keepdim=True), luma))
            blended = torch.clamp(reference + factor * (x - reference), 0.0, 1.0)
            hue = operation == 3
            blended[hue] = _adjust_hue(x[hue], factor[hue])
            x = blended
        return x

    def views(self, images):
        x = torch.as_tensor(images, device=self.device).permute(0, 3, 1, 2).float() / 255.0
        x = self._crop_and_flip(torch.cat([x, x], dim=0))
        n = x.shape[0]
        jitter = self._uniform(n) < 0.8
        x[jitter] = self._color_jitter(x[jitter])
        gray = (self._uniform(n) < 0.2).view(n, 1, 1, 1)
        return torch.where(gray, _luma(x).expand_as(x), x)
