#!/usr/bin/env python3
"""Continue training a Penumbra diffusion prior with Python PyTorch on a GPU.

Penumbra trains its priors with `penumbra train-prior` (LibTorch, CPU: Debian ships no
CUDA build). When a CUDA machine with Python PyTorch is at hand, this script continues a
Penumbra checkpoint there, far faster and at a far larger batch, and writes a checkpoint
that `penumbra` reads like its own (`--prior FILE`, `train-prior --resume FILE`).

It mirrors, and must be kept in step with:
  priors/score_network.cpp   the U-Net (module names = the checkpoint's tensor names)
  priors/training.cpp        DSM loss, Adam with global-norm clipping, EMA, dihedral flips,
                             a patch prior's random crops (after the flips) and held-out tiles
  priors/patch_prior.cpp     the position maps a patch prior's network takes (coord_channels 2)
  priors/checkpoint.cpp      the one-file format (magic, JSON header, tensors, FNV-1a)
tests/cli/torch_script_test.cpp (TorchTrainerScript, in build/tests/test_cli) checks the
mirror, for a whole-image and a patch prior: a checkpoint written here is read by
`penumbra prior-validate`, and its held-out DSM loss agrees with the one computed here
(within 5 %: the noise draws differ; with `loss --penumbra-noise`, to float rounding).

Differences from train-prior, all recorded in the checkpoint header (training.gpu_runs):
the random stream is torch's (not derive_seed per step), so a run is not bit-exact
reproducible; the learning rate warms up again over --warmup steps of this run (the
Adam moments were estimated at another batch size); and fine-tuning on data with
another `source` moves the old source to data.lineage as train-prior --resume does.

Commands:
  pack IN.h5 OUT.h5            repack a `penumbra dataset` stack as uint16 + gzip
                                (peak-normalised images in [0, 1]: step 1.5e-5, 4–9× smaller)
  train --init CKPT --data A.h5[,B.h5] --out CKPT --seconds S [--batch 512 ...]
  loss --ckpt CKPT --data A.h5  held-out DSM loss (the measure prior-validate reports;
                                a patch prior's over every non-overlapping tile)
"""
import argparse
import json
import math
import os
import struct
import sys
import time

import numpy as np

MAGIC = b"PNBRPRIO"
FORMAT_VERSION = 1
DTYPES = {0: np.float32, 1: np.float64, 2: np.int64}
CODES = {np.dtype(np.float32): 0, np.dtype(np.float64): 1, np.dtype(np.int64): 2}


# ---------------------------------------------------------------- checkpoint file
_fnv_compiled = None


def fnv1a(data: bytes) -> int:
    """FNV-1a 64 of the file body, as priors/checkpoint.cpp computes it."""
    global _fnv_compiled
    if _fnv_compiled is None:
        try:  # numba (on the GPU images) makes this instant; plain Python takes seconds
            from numba import njit

            @njit(cache=False)
            def run(a):
                h = np.uint64(0xCBF29CE484222325)
                p = np.uint64(0x100000001B3)
                for c in a:
                    h = (h ^ np.uint64(c)) * p
                return h

            _fnv_compiled = lambda b: int(run(np.frombuffer(b, dtype=np.uint8)))  # compiled once per process
        except ImportError:
            def _fnv_compiled(b):
                h = 0xCBF29CE484222325
                for c in b:
                    h = ((h ^ c) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
                return h
    return _fnv_compiled(data)


def read_checkpoint(path):
    buf = open(path, "rb").read()
    if buf[:8] != MAGIC:
        sys.exit(f"{path}: not a Penumbra prior checkpoint (magic bytes 'PNBRPRIO' missing)")
    (stored,) = struct.unpack_from("<Q", buf, len(buf) - 8)
    if fnv1a(buf[:-8]) != stored:
        sys.exit(f"{path}: checkpoint is corrupt or truncated (checksum mismatch)")
    p = 8
    (version,) = struct.unpack_from("<I", buf, p)
    p += 4
    if version != FORMAT_VERSION:
        sys.exit(f"{path}: checkpoint format version {version}; this script reads {FORMAT_VERSION}")
    (n,) = struct.unpack_from("<Q", buf, p)
    p += 8
    header = json.loads(buf[p : p + n])
    p += n
    (count,) = struct.unpack_from("<I", buf, p)
    p += 4
    tensors = {}
    for _ in range(count):
        (nl,) = struct.unpack_from("<I", buf, p)
        p += 4
        name = buf[p : p + nl].decode()
        p += nl
        dt = buf[p]
        p += 1
        (nd,) = struct.unpack_from("<I", buf, p)
        p += 4
        dims = struct.unpack_from(f"<{nd}q", buf, p)
        p += 8 * nd
        (nb,) = struct.unpack_from("<Q", buf, p)
        p += 8
        tensors[name] = np.frombuffer(buf, dtype=DTYPES[dt], count=nb // np.dtype(DTYPES[dt]).itemsize, offset=p).reshape(dims).copy()
        p += nb
    return header, tensors


def write_checkpoint(path, header, tensors):
    """tensors: list of (name, numpy array) in file order."""
    out = bytearray(MAGIC)
    out += struct.pack("<I", FORMAT_VERSION)
    js = json.dumps(header).encode()
    out += struct.pack("<Q", len(js)) + js
    out += struct.pack("<I", len(tensors))
    for name, a in tensors:
        a = np.ascontiguousarray(a)
        nb = name.encode()
        out += struct.pack("<I", len(nb)) + nb + bytes([CODES[a.dtype]]) + struct.pack("<I", a.ndim)
        out += struct.pack(f"<{a.ndim}q", *a.shape) + struct.pack("<Q", a.nbytes) + a.tobytes()
    out += struct.pack("<Q", fnv1a(bytes(out)))
    tmp = str(path) + ".tmp"
    with open(tmp, "wb") as f:
        f.write(out)
    os.replace(tmp, path)


# ---------------------------------------------------------------- data
def read_images(spec):
    """Comma-separated HDF5 files from `penumbra dataset` (float32) or `pack` (uint16)."""
    import h5py

    stacks, sources = [], []
    for path in spec.split(","):
        with h5py.File(path, "r") as f:
            d = f["images"]
            x = d[:]
            if x.dtype == np.uint16:
                x = x.astype(np.float32) * float(d.attrs["scale"])
            stacks.append(x.astype(np.float32))
            src = d.attrs.get("source", path)
            sources.append(src.decode() if isinstance(src, bytes) else str(src))
    return np.concatenate(stacks), " + ".join(sources)


def pack(args):
    import h5py

    with h5py.File(args.input, "r") as f:
        d = f["images"]
        x = d[:]
        attrs = dict(d.attrs)
    if x.min() < 0 or x.max() > 1:
        sys.exit(f"{args.input}: pixels span [{x.min()}, {x.max()}]; pack needs peak-normalised images in [0, 1]")
    scale = 1.0 / 65535
    with h5py.File(args.output, "w") as f:
        d = f.create_dataset("images", data=np.round(x / scale).astype(np.uint16), compression="gzip",
                             compression_opts=6, chunks=(min(256, len(x)),) + x.shape[1:])
        for k, v in attrs.items():
            d.attrs[k] = v
        d.attrs["scale"] = scale
    print(f"{args.output}: {len(x)} images, uint16 × {scale:.3g}")


# ---------------------------------------------------------------- network (priors/score_network.cpp)
def build_network(cfg):
    import torch
    from torch import nn
    import torch.nn.functional as F

    def groups(c):
        g = min(32, max(1, c // 4))
        while c % g:
            g -= 1
        return g

    def conv(cin, cout, k):
        return nn.Conv2d(cin, cout, k, padding=k // 2)

    class ResBlock(nn.Module):
        def __init__(self, cin, cout, emb):
            super().__init__()
            self.norm0 = nn.GroupNorm(groups(cin), cin)
            self.conv0 = conv(cin, cout, 3)
            self.dense = nn.Linear(emb, cout)
            self.norm1 = nn.GroupNorm(groups(cout), cout)
            self.conv1 = conv(cout, cout, 3)
            self.skip = conv(cin, cout, 1) if cin != cout else None

        def forward(self, x, temb):
            h = self.conv0(F.silu(self.norm0(x)))
            h = h + self.dense(F.silu(temb))[:, :, None, None]
            h = self.conv1(F.silu(self.norm1(h)))
            s = self.skip(x) if self.skip is not None else x
            return (s + h) * (1.0 / math.sqrt(2.0))

    class AttnBlock(nn.Module):
        def __init__(self, c):
            super().__init__()
            self.norm = nn.GroupNorm(groups(c), c)
            self.qkv = conv(c, 3 * c, 1)
            self.proj = conv(c, c, 1)

        def forward(self, x):
            b, c, h, w = x.shape
            t = self.qkv(self.norm(x)).reshape(b, 3, c, h * w)
            q, k, v = t[:, 0], t[:, 1], t[:, 2]
            att = torch.softmax(torch.bmm(q.transpose(1, 2), k) * (1.0 / math.sqrt(c)), -1)
            o = torch.bmm(v, att.transpose(1, 2)).reshape(b, c, h, w)
            return (x + self.proj(o)) * (1.0 / math.sqrt(2.0))

    class ScoreNet(nn.Module):
        def __init__(self, cfg):
            super().__init__()
            self.cfg = cfg
            width, mult, rb = cfg["width"], cfg["multipliers"], cfg["res_blocks"]
            emb = cfg["embedding_dim"] or 4 * width
            self.register_buffer("fourier_w", torch.zeros(max(1, width // 2)))
            nf = 2 * self.fourier_w.numel()
            self.emb0 = nn.Linear(nf, emb)
            self.emb1 = nn.Linear(emb, emb)
            cio = cfg["in_channels"] * cfg["patch"] ** 2
            self.conv_in = conv(cio + cfg.get("coord_channels", 0) * cfg["patch"] ** 2, width, 3)
            skip_ch, ch = [width], width
            self.down = nn.ModuleList()
            for i, m in enumerate(mult):
                for _ in range(rb):
                    self.down.append(ResBlock(ch, width * m, emb))
                    ch = width * m
                    skip_ch.append(ch)
                if i != len(mult) - 1:
                    skip_ch.append(ch)
            self.mid0 = ResBlock(ch, ch, emb)
            self.mid_attn = AttnBlock(ch) if cfg["attention"] else None
            self.mid1 = ResBlock(ch, ch, emb)
            self.up = nn.ModuleList()
            self.upconv = nn.ModuleList()
            for i in reversed(range(len(mult))):
                for _ in range(rb + 1):
                    cin = ch + skip_ch.pop()
                    self.up.append(ResBlock(cin, width * mult[i], emb))
                    ch = width * mult[i]
                if i != 0:
                    self.upconv.append(conv(ch, ch, 3))
            self.norm_out = nn.GroupNorm(groups(ch), ch)
            self.conv_out = conv(ch, cio, 3)

        def forward(self, x, cond, in_scale, coords=None):  # x [B,H,W], coords [B,2,H,W] → raw output F [B,H,W]
            cfg = self.cfg
            x = x[:, None] * in_scale.reshape(-1, 1, 1, 1)
            if cfg.get("coord_channels", 0) > 0:  # the position maps carry no noise: after the input scaling
                x = torch.cat([x, coords.to(x.dtype)], 1)
            if cfg["patch"] > 1:
                x = F.pixel_unshuffle(x, cfg["patch"])
            proj = cond[:, None] * self.fourier_w[None, :] * (2 * math.pi)
            temb = self.emb1(F.silu(self.emb0(torch.cat([torch.sin(proj), torch.cos(proj)], 1))))
            levels, rb = len(cfg["multipliers"]), cfg["res_blocks"]
            hs = [self.conv_in(x)]
            h, k = hs[-1], 0
            for i in range(levels):
                for _ in range(rb):
                    h = self.down[k](h, temb)
                    k += 1
                    hs.append(h)
                if i != levels - 1:
                    h = F.avg_pool2d(h, 2)
                    hs.append(h)
            h = self.mid0(h, temb)
            if self.mid_attn is not None:
                h = self.mid_attn(h)
            h = self.mid1(h, temb)
            k = u = 0
            for i in reversed(range(levels)):
                for _ in range(rb + 1):
                    h = self.up[k](torch.cat([h, hs.pop()], 1), temb)
                    k += 1
                if i != 0:
                    h = self.upconv[u](F.interpolate(h, scale_factor=2, mode="nearest"))
                    u += 1
            h = self.conv_out(F.silu(self.norm_out(h)))
            if cfg["patch"] > 1:
                h = F.pixel_shuffle(h, cfg["patch"])
            return h[:, 0]

    return ScoreNet(cfg)


# ---------------------------------------------------------------- DSM (priors/training.cpp)
def ve_sigma(sde, t):
    if sde["kind"].lower() != "ve":
        sys.exit("this script trains VE priors only (the shipped kind); use penumbra train-prior for VP")
    return sde["sigma_min"] * (sde["sigma_max"] / sde["sigma_min"]) ** t


def dsm_loss(net, header, x0, t, z, positions=None):
    import torch

    sig = ve_sigma(header["sde"], t.double()).float()
    xt = x0 + sig[:, None, None] * z
    n = header["network"]
    a = torch.rsqrt(sig * sig + n["sigma_data"] ** 2) if n["input_scaling"] else torch.ones_like(sig)
    f = net(xt, torch.log(sig), a, positions)
    return (f + z).square().mean()


def dihedral(x, code):
    c = code.reshape(-1, 1, 1)
    y = x.flip(2).where((c & 1).bool(), x)
    y = y.flip(1).where((c & 2).bool(), y)
    if x.shape[1] != x.shape[2]:  # as train-prior: a transposed non-square image is not an image of the data
        return y
    return y.transpose(1, 2).where((c & 4).bool(), y)


# ---------------------------------------------------------------- patch priors (priors/patch_prior.cpp, training.cpp)
def patch_size_of(header):
    """The tile side P of a patch prior (data.patch_size), 0 for a whole-image prior."""
    return int(header["data"].get("patch_size", 0))


def uses_positions(header):
    return int(header["network"].get("coord_channels", 0)) > 0


def position_maps(oy, ox, patch, image_h, image_w, ref_h, ref_w):
    """patch_position_maps: [N, 2, P, P] float32 for patches with top-left pixels (oy, ox): channel 0 the
    column (x), channel 1 the row (y) of each pixel centre from the image centre, in units of half the
    reference image's side, clamped to [−1, 1]. The same float32 operations in the same order as the C++,
    so the maps are bit-identical."""
    import torch

    n = oy.numel()
    oy = oy.to(torch.float32).reshape(n, 1, 1)
    ox = ox.to(torch.float32).reshape(n, 1, 1)
    j = torch.arange(patch, dtype=torch.float32, device=oy.device) + 0.5
    ys = ((oy + j.reshape(1, -1, 1) - 0.5 * image_h) / (0.5 * ref_h)).clamp(-1, 1)
    xs = ((ox + j.reshape(1, 1, -1) - 0.5 * image_w) / (0.5 * ref_w)).clamp(-1, 1)
    return torch.stack([xs.expand(n, patch, patch), ys.expand(n, patch, patch)], 1).contiguous()


def tile_crops(images, patch, positions):
    """Every non-overlapping patch² tile of images [N,H,W], image by image, row by row, and their position
    maps (the images' own size is the reference); patch 0: the whole images at their positions."""
    import torch

    n, h, w = images.shape
    dev = images.device
    if patch <= 0:
        zero = torch.zeros(n, dtype=torch.int64, device=dev)
        return images, (position_maps(zero, zero, h, h, w, h, w) if positions else None)
    ny, nx = h // patch, w // patch
    tiles = images[:, : ny * patch, : nx * patch].reshape(n, ny, patch, nx, patch).permute(0, 1, 3, 2, 4)
    tiles = tiles.reshape(-1, patch, patch)
    if not positions:
        return tiles, None
    oy = (torch.arange(ny, device=dev) * patch).repeat_interleave(nx).repeat(n)
    ox = (torch.arange(nx, device=dev) * patch).repeat(ny * n)
    return tiles, position_maps(oy, ox, patch, h, w, h, w)


def random_crops(images, patch, positions):
    """One patch² crop of each image at an origin uniform over the image, and its position maps."""
    import torch

    n, h, w = images.shape
    dev = images.device
    ry = torch.randint(h - patch + 1, (n,), device=dev)
    rx = torch.randint(w - patch + 1, (n,), device=dev)
    r = torch.arange(patch, device=dev)
    rows = (ry[:, None] + r)[:, :, None]
    cols = (rx[:, None] + r)[:, None, :]
    crops = images[torch.arange(n, device=dev)[:, None, None], rows, cols]
    return crops, (position_maps(ry, rx, patch, h, w, h, w) if positions else None)


def training_crops(header, x0):
    """What one training step shows the network of (flipped) batch images x0: a patch prior's random crops with
    their positions, or the whole images (with their positions if the network takes them)."""
    p, pos = patch_size_of(header), uses_positions(header)
    if p > 0:
        return random_crops(x0, p, pos)
    return tile_crops(x0, 0, True) if pos else (x0, None)


def load_network(header, tensors, prefix, device):
    import torch

    net = build_network(header["network"]).to(device)
    state = {}
    for name in net.state_dict():
        key = ("buffer/" if name == "fourier_w" else prefix) + name
        if key not in tensors:
            sys.exit(f"checkpoint has no tensor '{key}' (network configuration differs from priors/score_network.cpp?)")
        state[name] = torch.from_numpy(tensors[key])
    net.load_state_dict(state, strict=True)
    return net


_MASK64 = (1 << 64) - 1


def splitmix64(x):
    x = (x + 0x9E3779B97F4A7C15) & _MASK64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _MASK64
    return x ^ (x >> 31)


def derive_seed(seed, stream):
    """src/core/rng.hpp: the seed of stream `stream` of a run seeded with `seed`."""
    return splitmix64(splitmix64(seed) ^ splitmix64((stream + 0x5851F42D4C957F2D) & _MASK64))


def held_out_loss(net, header, data, levels=6, batch=256, seed=0, penumbra_noise=False):
    """Mean over `levels` evenly spaced t ∈ [t_eps, 1] of the DSM loss on all of `data` (a patch prior's: on
    every non-overlapping tile, at its position). penumbra_noise: the noise draws of evaluate_dsm_loss as
    prior-validate and train-prior call it (CPU generator, seed derive_seed(0x4E1D, 0xE7A1), batches of 32),
    so the loss is penumbra's up to float rounding: a check of the forward pass, not only of the measure."""
    import torch

    if penumbra_noise:
        g, batch = torch.Generator().manual_seed(derive_seed(0x4E1D, 0xE7A1)), 32
    else:
        g = torch.Generator(device=data.device).manual_seed(seed)
    p, pos = patch_size_of(header), uses_positions(header)
    data, positions = tile_crops(data, p, pos) if p > 0 or pos else (data, None)
    t_eps = header["sde"]["t_eps"]
    total = 0.0
    with torch.no_grad():
        for l in range(levels):
            tl = 0.5 if levels == 1 else t_eps + (1 - t_eps) * l / (levels - 1)
            acc = 0.0
            for b in range(0, len(data), batch):
                x0 = data[b : b + batch]
                z = torch.randn(x0.shape, generator=g, device=g.device).to(data.device)
                pb = positions[b : b + batch] if positions is not None else None
                t = torch.full((len(x0),), tl, device=data.device)
                acc += dsm_loss(net, header, x0, t, z, pb).item() * len(x0)
            total += acc / len(data)
    return total / levels


def device_of(name):
    import torch

    if name == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return name


def loss_command(args):
    import torch

    dev = device_of(args.device)
    header, tensors = read_checkpoint(args.ckpt)
    x, _ = read_images(args.data)
    data = torch.from_numpy(x[: args.n]).to(dev)
    for prefix in [w + "/" for w in args.weights.split(",")]:
        net = load_network(header, tensors, prefix, dev).eval()
        loss = held_out_loss(net, header, data, args.levels, penumbra_noise=args.penumbra_noise)
        print(json.dumps({"weights": prefix[:-1], "held_out_dsm_loss": loss,
                          "images": len(data), "step": header["training"]["step"]}))


def max_pairwise_distance(x, subsample, seed):
    rng = np.random.default_rng(seed)
    if len(x) > subsample:
        x = x[rng.choice(len(x), subsample, replace=False)]
    f = x.reshape(len(x), -1).astype(np.float64)
    sq = (f * f).sum(1)
    d2 = np.maximum(sq[:, None] + sq[None, :] - 2 * f @ f.T, 0)
    return float(np.sqrt(d2.max()))


def train_command(args):
    import torch

    dev = device_of(args.device)
    torch.manual_seed(args.seed)
    if dev == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = bool(args.tf32)
        torch.backends.cudnn.allow_tf32 = bool(args.tf32)
        torch.backends.cudnn.benchmark = True
    header, tensors = read_checkpoint(args.init)
    if header.get("format") != "penumbra-prior":
        sys.exit(f"{args.init}: header format is not 'penumbra-prior'")
    x, source = read_images(args.data)
    info, h, w = header["data"], header["data"]["height"], header["data"]["width"]
    if x.shape[1:] != (h, w):
        sys.exit(f"{args.data}: images are {x.shape[1]}×{x.shape[2]}; the checkpoint was trained on {h}×{w}")
    if not np.isfinite(x).all():
        sys.exit(f"{args.data}: images contain NaN or Inf")
    rng = np.random.default_rng(args.seed)
    perm = rng.permutation(len(x))
    held, train = x[perm[: args.hold_out]], x[perm[args.hold_out :]]
    # train-prior records a file's source as "PATH:DATASET (SOURCE)": the same stack (or its `pack` copy) is not
    # new data.
    if source != info["source"] and not info["source"].endswith(f" ({source})"):
        # Fine-tuning on new data, as PriorTrainer::resume does. σ_max must drown what the network sees:
        # a patch prior's tiles, as train-prior sets it for a new patch prior.
        entry = {"source": info["source"], "count": info["count"], "until_step": header["training"]["step"]}
        seen = train
        if patch_size_of(header) > 0:
            seen = tile_crops(torch.from_numpy(train), patch_size_of(header), False)[0].numpy()
        d = max_pairwise_distance(seen, 1000, args.seed)
        if d > header["sde"]["sigma_max"]:
            entry["sigma_max"] = header["sde"]["sigma_max"]
            header["sde"]["sigma_max"] = d
        info["lineage"] = list(info.get("lineage", [])) + [entry]
        info.update(source=source, count=int(len(train)), pixel_mean=float(train.mean()), pixel_std=float(train.std()))
    data = torch.from_numpy(train).to(dev)
    held_t = torch.from_numpy(held).to(dev)

    net = load_network(header, tensors, "raw/", dev).train()
    ema = load_network(header, tensors, "ema/", dev).eval()
    names = [n for n, _ in net.named_parameters()]
    params = [p for _, p in net.named_parameters()]
    ema_params = [p for _, p in ema.named_parameters()]
    opt = torch.optim.Adam(params, lr=args.lr, betas=(0.9, 0.999), eps=1e-8, foreach=True)
    step0 = int(header["training"]["step"])
    for n, p in zip(names, params):  # continue the moments train-prior saved
        opt.state[p] = {"step": torch.tensor(float(step0)),
                        "exp_avg": torch.from_numpy(tensors["adam_m/" + n]).to(dev),
                        "exp_avg_sq": torch.from_numpy(tensors["adam_v/" + n]).to(dev)}
    before = held_out_loss(ema, header, held_t, seed=args.seed)
    print(f"start: step {step0}, {len(train)} training / {len(held)} held-out images, "
          f"σ_max {header['sde']['sigma_max']:.4g}, held-out DSM loss (EMA) {before:.5f}", flush=True)

    t_eps, n, b = header["sde"]["t_eps"], len(data), args.batch
    augment = bool(header["training"].get("augment", True))

    def save(after, elapsed, final):
        """Writes the state after k steps (a copy of the header: the run record grows each save)."""
        hd = json.loads(json.dumps(header))
        hd["training"]["step"] = step0 + k
        hd["training"]["gpu_runs"] = list(hd["training"].get("gpu_runs", [])) + [{
            "script": "scripts/train_prior_torch.py", "from_step": step0, "steps": k, "batch": b, "lr": args.lr,
            "warmup": args.warmup, "seconds": round(elapsed, 1),
            "device": torch.cuda.get_device_name() if dev == "cuda" else dev, "torch": torch.__version__,
            "tf32": bool(args.tf32 and dev == "cuda"), "seed": args.seed, "held_out_dsm_loss_before": before,
            "held_out_dsm_loss_after": after, "held_out_images": len(held), "finished": final}]
        out = []
        ema_named = dict(ema.named_parameters())
        for nme, p in zip(names, params):
            st = opt.state[p]
            out += [("raw/" + nme, p.detach().cpu().numpy()), ("ema/" + nme, ema_named[nme].detach().cpu().numpy()),
                    ("adam_m/" + nme, st["exp_avg"].cpu().numpy()), ("adam_v/" + nme, st["exp_avg_sq"].cpu().numpy())]
        out.append(("buffer/fourier_w", net.fourier_w.cpu().numpy()))
        out.append(("history", np.asarray(history, dtype=np.float64).reshape(-1, 3)))
        write_checkpoint(args.out, hd, out)
        print(f"wrote {args.out} (step {step0 + k})", flush=True)

    history = [list(r) for r in tensors.get("history", np.zeros((0, 3)))]
    t0, k, acc, acc_n, last_save = time.time(), 0, 0.0, 0, time.time()
    while time.time() - t0 < args.seconds and (args.steps == 0 or k < args.steps):
        lr = args.lr * min(1.0, (k + 1) / args.warmup) if args.warmup > 0 else args.lr
        for g in opt.param_groups:
            g["lr"] = lr
        idx = torch.randint(n, (b,), device=dev)
        x0 = data[idx]
        if augment:
            x0 = dihedral(x0, torch.randint(8, (b,), device=dev))
        x0, positions = training_crops(header, x0)  # crops of the flipped images, as train-prior
        t = torch.rand(b, device=dev, dtype=torch.float64) * (1 - t_eps) + t_eps
        z = torch.randn_like(x0)
        loss = dsm_loss(net, header, x0, t.float(), z, positions)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        step = step0 + k
        d = min(0.999, (1.0 + step) / (10.0 + step))
        with torch.no_grad():
            torch._foreach_mul_(ema_params, d)
            torch._foreach_add_(ema_params, params, alpha=1 - d)
        acc += loss.detach()
        acc_n += 1
        k += 1
        if k % args.log_every == 0:
            mean = (acc / acc_n).item()
            if not math.isfinite(mean):
                sys.exit(f"loss is {mean} at step {step0 + k} (diverged; lower --lr)")
            history.append([float(step0 + k), mean, lr])
            print(f"step {step0 + k}  loss {mean:.5f}  lr {lr:.2e}  {k / (time.time() - t0):.1f} steps/s", flush=True)
            acc, acc_n = 0.0, 0
            if args.save_every > 0 and time.time() - last_save > args.save_every:
                save(None, time.time() - t0, final=False)  # a diverging run keeps this one
                last_save = time.time()
    elapsed = time.time() - t0
    after = held_out_loss(ema, header, held_t, seed=args.seed)
    print(f"end: step {step0 + k}, {k} steps in {elapsed:.0f} s ({k / elapsed:.1f} steps/s at batch {b}), "
          f"held-out DSM loss (EMA) {before:.5f} → {after:.5f}", flush=True)

    save(after, elapsed, final=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("pack")
    p.add_argument("input")
    p.add_argument("output")
    p = sub.add_parser("train")
    p.add_argument("--init", required=True, help="Penumbra prior checkpoint to continue")
    p.add_argument("--data", required=True, help="HDF5 stacks, comma-separated (penumbra dataset / pack)")
    p.add_argument("--out", required=True)
    p.add_argument("--seconds", type=float, default=600, help="wall-clock budget of the training loop")
    p.add_argument("--steps", type=int, default=0, help="stop after this many steps (0: time budget only)")
    p.add_argument("--batch", type=int, default=512)
    p.add_argument("--lr", type=float, default=4e-4)
    p.add_argument("--warmup", type=int, default=500)
    p.add_argument("--hold-out", type=int, default=256)
    p.add_argument("--log-every", type=int, default=100)
    p.add_argument("--save-every", type=float, default=120, help="seconds between intermediate checkpoints")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="auto")
    p.add_argument("--tf32", type=int, default=1)
    p = sub.add_parser("loss")
    p.add_argument("--ckpt", required=True)
    p.add_argument("--data", required=True)
    p.add_argument("--n", type=int, default=256)
    p.add_argument("--levels", type=int, default=6, help="noise levels (6, as prior-validate)")
    p.add_argument("--weights", default="ema", help="ema (what the samplers use), raw, or ema,raw")
    p.add_argument("--device", default="auto")
    p.add_argument("--penumbra-noise", action="store_true",
                   help="draw the noise as penumbra's prior-validate does: the same loss up to rounding")
    args = ap.parse_args()
    {"pack": pack, "train": train_command, "loss": loss_command}[args.cmd](args)


if __name__ == "__main__":
    main()
