#!/usr/bin/env python3
"""One U-Net training step in plain PyTorch, timed: the reference for splitwire's tfjs GPU step.

The network is src/model/unet.ts's, layer for layer: level l has base*2^l channels; an
encoder block is two 3x3 'same' convs with bias and ReLU; down is a 2x2 max-pool; decoder
level l upsamples level l+1 (2x nearest), applies a 3x3 conv (+bias, ReLU) to level-l
channels, concatenates [skip, up] on channels, then a block; the head is a 1x1 conv to class
logits. No batch norm. Loss: pixel cross-entropy + (1 - mean soft Dice, smoothing 1), as
src/model/loss.ts. Adam (lr 1e-3), fp32. Weights He-normal, biases zero.

Each timed step is synchronised (torch.cuda.synchronize() and loss.item()); the median of
--steps steps after --warmup untimed ones is reported, with the forward pass alone timed the
same way. Prints one JSON object: {"device", "torch", "threads", "rows": [...]}, which
`npm run bench -- --only gpuTrainStep --torch FILE` reads to report gpuVsTorchCudaTrainStep.

    python3 scripts/torch_unet_step.py                      # quickstart and paper sizes
    python3 scripts/torch_unet_step.py --config 2,16,2 --steps 3 --device cpu

--serve: the `torchCpu` bench entry (src/bench/torchCpu.ts) drives the step from splitwire, on
splitwire's own weights and batch, one step at a time so the two can be interleaved. It reads
one JSON command per stdin line and answers one JSON line on stdout:

    {"op": "load", "header": FILE}  FILE (JSON) names a raw little-endian file ("bin") and, for
                                    each tensor, its name, dtype, shape and byte offset: the
                                    model parameters by splitwire name (enc0.conv1.w, up1.b,
                                    head.w; tfjs layout [kh, kw, in, out]), "x" ([N, H, W, C],
                                    float32) and "labels" ([N, H, W], int32); plus "config"
                                    {inChannels, classes, baseChannels, depth, size} and "lr".
                                    -> {"ok": true, "params": count}
    {"op": "step"}                  one Adam step -> {"ms": wall ms of the step, "loss": loss}
    {"op": "quit"}
"""
import argparse
import json
import re
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

DICE_SMOOTH = 1.0


def conv3(cin: int, cout: int) -> nn.Conv2d:
    return nn.Conv2d(cin, cout, 3, padding=1, bias=True)


class Block(nn.Module):
    """Two 3x3 convs with ReLU (unet.ts `encoder`, and the tail of `decoder`)."""

    def __init__(self, cin: int, c: int):
        super().__init__()
        self.conv1 = conv3(cin, c)
        self.conv2 = conv3(c, c)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(self.conv2(F.relu(self.conv1(x))))


class Up(nn.Module):
    """Decoder level: 2x nearest upsample, 3x3 conv + ReLU, concat [skip, up], block."""

    def __init__(self, cbelow: int, c: int):
        super().__init__()
        self.up = conv3(cbelow, c)
        self.block = Block(2 * c, c)

    def forward(self, below: torch.Tensor, skip: torch.Tensor) -> torch.Tensor:
        up = F.relu(self.up(F.interpolate(below, scale_factor=2, mode="nearest")))
        return self.block(torch.cat([skip, up], dim=1))


class UNet(nn.Module):
    def __init__(self, in_channels: int, classes: int, base: int, depth: int):
        super().__init__()
        ch = [base * 2**l for l in range(depth)]
        self.enc = nn.ModuleList([Block(in_channels if l == 0 else ch[l - 1], ch[l]) for l in range(depth)])
        self.dec = nn.ModuleList([Up(ch[l + 1], ch[l]) for l in range(depth - 1)])
        self.head = nn.Conv2d(ch[0], classes, 1, bias=True)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                # He-normal (std sqrt(2/fan_in)), biases zero: src/model/params.ts initParams.
                nn.init.kaiming_normal_(m.weight, mode="fan_in", nonlinearity="relu")
                nn.init.zeros_(m.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        skips = []
        for l, enc in enumerate(self.enc):
            x = enc(x if l == 0 else F.max_pool2d(x, 2))
            skips.append(x)
        x = skips.pop()
        for l in reversed(range(len(self.dec))):
            x = self.dec[l](x, skips[l])
        return self.head(x)


def dice_cross_entropy(logits: torch.Tensor, labels: torch.Tensor, classes: int) -> torch.Tensor:
    """Mean pixel CE + (1 - mean over classes of batch-wide soft Dice), as src/model/loss.ts."""
    ce = F.cross_entropy(logits, labels)
    prob = F.softmax(logits, dim=1)
    y = F.one_hot(labels, classes).permute(0, 3, 1, 2).to(prob.dtype)
    inter = (prob * y).sum(dim=(0, 2, 3))
    denom = prob.sum(dim=(0, 2, 3)) + y.sum(dim=(0, 2, 3))
    dice = (2 * inter + DICE_SMOOTH) / (denom + DICE_SMOOTH)
    return ce + (1 - dice.mean())


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def time_config(base: int, size: int, batch: int, args: argparse.Namespace, device: torch.device) -> dict:
    torch.manual_seed(7)
    model = UNet(3, args.classes, base, args.depth).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    x = torch.rand(batch, 3, size, size, device=device)
    labels = (x[:, 0] > 0.5).long() if args.classes == 2 else torch.randint(0, args.classes, (batch, size, size), device=device)
    losses, times, fwd = [], [], []
    for i in range(args.warmup + args.steps):
        sync(device)
        t0 = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        loss = dice_cross_entropy(model(x), labels, args.classes)
        loss.backward()
        opt.step()
        losses.append(loss.item())  # .item() waits for the device too
        sync(device)
        if i >= args.warmup:
            times.append((time.perf_counter() - t0) * 1000)
    with torch.no_grad():
        for i in range(args.warmup + args.steps):
            sync(device)
            t0 = time.perf_counter()
            model(x)
            sync(device)
            if i >= args.warmup:
                fwd.append((time.perf_counter() - t0) * 1000)
    return {
        "baseChannels": base,
        "size": size,
        "batch": batch,
        "depth": args.depth,
        "classes": args.classes,
        "ms": round(statistics.median(times), 3),
        "forwardMs": round(statistics.median(fwd), 3),
        "steps": args.steps,
        "firstLoss": losses[0],
        "lastLoss": losses[-1],
        "params": sum(p.numel() for p in model.parameters()),
    }


def torch_name(name: str) -> str:
    """The nn.Module parameter name of splitwire's `name` (src/model/unet.ts naming)."""
    stem, kind = name.rsplit(".", 1)
    suffix = {"w": "weight", "b": "bias"}[kind]
    m = re.fullmatch(r"enc(\d+)\.(conv[12])", stem)
    if m:
        return f"enc.{m[1]}.{m[2]}.{suffix}"
    m = re.fullmatch(r"up(\d+)", stem)
    if m:
        return f"dec.{m[1]}.up.{suffix}"
    m = re.fullmatch(r"dec(\d+)\.(conv[12])", stem)
    if m:
        return f"dec.{m[1]}.block.{m[2]}.{suffix}"
    if stem == "head":
        return f"head.{suffix}"
    raise ValueError(f"load: unknown parameter name '{name}'")


def read_tensor(raw: bytes, entry: dict) -> torch.Tensor:
    dtype = {"float32": torch.float32, "int32": torch.int32}[entry["dtype"]]
    count = 1
    for d in entry["shape"]:
        count *= d
    t = torch.frombuffer(bytearray(raw), dtype=dtype, count=count, offset=entry["offset"])
    return t.reshape(entry["shape"]).clone()


class Served:
    """A model, optimiser and batch loaded from splitwire's weights (`--serve`)."""

    def __init__(self, header_file: str):
        with open(header_file, encoding="utf-8") as f:
            header = json.load(f)
        with open(header["bin"], "rb") as f:
            raw = f.read()
        cfg = header["config"]
        self.classes = cfg["classes"]
        self.model = UNet(cfg["inChannels"], cfg["classes"], cfg["baseChannels"], cfg["depth"])
        own = dict(self.model.named_parameters())
        seen = set()
        with torch.no_grad():
            for entry in header["tensors"]:
                t = read_tensor(raw, entry)
                if entry["name"] == "x":
                    self.x = t.permute(0, 3, 1, 2).contiguous()  # NHWC -> NCHW
                elif entry["name"] == "labels":
                    self.labels = t.long()
                else:
                    target = own[torch_name(entry["name"])]
                    # tfjs filters are [kh, kw, in, out]; torch's are [out, in, kh, kw].
                    value = t.permute(3, 2, 0, 1) if t.dim() == 4 else t
                    if tuple(value.shape) != tuple(target.shape):
                        raise ValueError(f"load: {entry['name']} has shape {list(t.shape)}, torch wants {list(target.shape)}")
                    target.copy_(value)
                    seen.add(torch_name(entry["name"]))
        missing = sorted(set(own) - seen)
        if missing:
            raise ValueError(f"load: no weights for {missing}")
        self.opt = torch.optim.Adam(self.model.parameters(), lr=header.get("lr", 1e-3))
        self.count = sum(p.numel() for p in self.model.parameters())

    def step(self) -> dict:
        t0 = time.perf_counter()
        self.opt.zero_grad(set_to_none=True)
        loss = dice_cross_entropy(self.model(self.x), self.labels, self.classes)
        loss.backward()
        self.opt.step()
        value = loss.item()
        return {"ms": (time.perf_counter() - t0) * 1000, "loss": value}


def serve(threads: int) -> int:
    """`--serve`: answer load / step / quit commands, one JSON line each (see the module doc)."""
    torch.set_num_threads(threads)
    served = None
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            cmd = json.loads(line)
            op = cmd.get("op")
            if op == "quit":
                break
            if op == "load":
                served = Served(cmd["header"])
                reply = {"ok": True, "params": served.count, "threads": torch.get_num_threads(), "torch": torch.__version__}
            elif op == "step":
                if served is None:
                    raise ValueError("step: load a model first")
                reply = served.step()
            else:
                raise ValueError(f"op: must be load, step or quit, got {op!r}")
        except Exception as err:  # answered, not fatal: the caller reports it
            reply = {"error": f"{type(err).__name__}: {err}"}
        print(json.dumps(reply), flush=True)
    return 0


def parse_config(text: str) -> tuple:
    parts = text.split(",")
    if len(parts) != 3 or not all(p.strip().isdigit() and int(p) > 0 for p in parts):
        raise argparse.ArgumentTypeError(f"must be BASE,SIZE,BATCH (positive integers), got '{text}'")
    return tuple(int(p) for p in parts)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--config", type=parse_config, action="append",
                    help="BASE,SIZE,BATCH; repeatable (default: 8,64,8 and 32,256,8: the quickstart and the paper)")
    ap.add_argument("--depth", type=int, default=3)
    ap.add_argument("--classes", type=int, default=2)
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--device", default="auto", help="auto (cuda if available, else cpu), cuda or cpu")
    ap.add_argument("--threads", type=int, default=0, help="torch.set_num_threads (0: torch's default; --serve: 1)")
    ap.add_argument("--serve", action="store_true", help="step splitwire's weights on command (see the module doc), on the CPU")
    args = ap.parse_args()
    if args.serve:
        return serve(args.threads or 1)
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    if args.depth < 3 or args.classes < 2 or args.steps < 1 or args.warmup < 0:
        ap.error(f"need --depth >= 3, --classes >= 2, --steps >= 1, --warmup >= 0; got {args.depth}, {args.classes}, {args.steps}, {args.warmup}")
    if args.device == "auto":
        device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    else:
        device = torch.device(args.device)
    configs = args.config or [(8, 64, 8), (32, 256, 8)]
    for base, size, _ in configs:
        if size % 2 ** (args.depth - 1) != 0:
            ap.error(f"--config: size must be divisible by 2^(depth-1) = {2 ** (args.depth - 1)}, got {size}")
    # fp32 throughout: no TF32 matmuls or convs on Ampere and later, as tfjs computes.
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    torch.backends.cudnn.benchmark = True
    rows = [time_config(base, size, batch, args, device) for base, size, batch in configs]
    name = f"cuda: {torch.cuda.get_device_name(device)}" if device.type == "cuda" else "cpu"
    print(json.dumps({"device": name, "torch": torch.__version__, "threads": torch.get_num_threads(), "rows": rows}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
