"""Trial runs for notebook 06's DCGAN and conditional GAN (issue 10): one configuration per call.

    /work/bin/cpu-run .venv/bin/python benchmarks/gan_tuning.py --channels 32 --epochs 20 ...

Trains exactly what notebook 06 trains (``course_lib.models.gan.train_gan`` on the course's
training digits in [-1, 1]) and prints, at the epochs given by ``--eval-at``, the figures
the issue asks for, measured the way the notebook measures them:

* the Fréchet distance, in the course classifier's features, of ``--n-metric`` samples to
  all the test digits, divided by the mean distance of up to 4 disjoint sets of
  ``--n-metric`` *real training* digits to the same test digits (the same counts on both
  sides, so the ratio is fair);
* the smallest share of a digit among those samples (class_histogram);
* for ``--conditional``: the fraction of samples recognised as the digit asked for.

Samples are drawn in eval mode (batch norm's running averages), as ``gan.sample`` does,
and, for comparison, in train mode (batch statistics of the 1,000-sample batch).
Training speed is the number of training images divided by the training time *without*
the evaluations. Results go to stdout as one JSON line per evaluation; docs/gan_tuning.md
keeps the ones that decided the notebook's settings.
"""
from __future__ import annotations

import argparse
import json
import time

import torch

from course_lib import data, metrics, runtime
from course_lib.models import gan as G


class _Several:
    """Several GeneratorAverages updated together (one run measures several decays)."""

    def __init__(self, averages):
        self.averages = averages

    def update(self, generator):
        for a in self.averages.values():
            a.update(generator)


def parse():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--conditional", action="store_true")
    p.add_argument("--channels", type=int, default=32)
    p.add_argument("--latent", type=int, default=64)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--epochs", type=int, default=20)
    p.add_argument("--lr-g", type=float, default=2e-4)
    p.add_argument("--lr-d", type=float, default=2e-4)
    p.add_argument("--beta1", type=float, default=0.5)
    p.add_argument("--real-label", type=float, default=1.0)
    p.add_argument("--mismatched", action="store_true", help="matching-aware D (conditional only)")
    p.add_argument("--mbstd", action="store_true", help="minibatch standard deviation channel in D")
    p.add_argument("--lr-decay-last", type=int, default=0,
                   help="train_gan(lr_decay_last=N): both learning rates fall linearly over the last N epochs, "
                        "the last epoch at 1/N of the rate (0: constant)")
    p.add_argument("--ema", type=str, default="0", help="GeneratorAverage decays, comma-separated (0: none)")
    p.add_argument("--n-metric", type=int, default=1000)
    p.add_argument("--eval-at", type=str, default="5,10,15,20")
    p.add_argument("--seed", type=int, default=0)
    return p.parse_args()


def main():
    args = parse()
    env = runtime.setup(seed=args.seed, quiet=True)
    train = data.load_mnist("train", verbose=False)
    test = data.load_mnist("test", verbose=False)
    images = train.images * 2 - 1
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(images, train.labels),
                                         batch_size=args.batch, shuffle=True, drop_last=True,
                                         generator=torch.Generator().manual_seed(0))
    torch.manual_seed(args.seed)
    if args.conditional:
        gan = G.GAN(G.ConditionalDCGANGenerator(args.latent, args.channels),
                    G.ConditionalDCGANDiscriminator(args.channels))
    else:
        gan = G.GAN(G.DCGANGenerator(args.latent, args.channels), G.DCGANDiscriminator(args.channels, minibatch_std=args.mbstd))
    betas = (args.beta1, 0.999)
    opts = (torch.optim.Adam(gan.generator.parameters(), lr=args.lr_g, betas=betas),
            torch.optim.Adam(gan.discriminator.parameters(), lr=args.lr_d, betas=betas))

    decays = [float(d) for d in args.ema.split(",") if float(d) > 0]
    averages = {d: G.GeneratorAverage(gan.generator, d) for d in decays}
    average = _Several(averages) if averages else None
    n = args.n_metric
    test_features = metrics.classifier_features(test.images)
    n_sets = min(4, len(train) // n)         # the floor: disjoint sets of n real training digits, as notebook 06
    real = [metrics.frechet_distance(metrics.classifier_features(train.images[i * n:(i + 1) * n]), test_features)
            for i in range(n_sets)]
    floor = sum(real) / n_sets
    print(json.dumps({"floor_sets": [round(r, 3) for r in real], "floor": round(floor, 3)}), flush=True)
    eval_at = {int(e) for e in args.eval_at.split(",")}
    spent = {"eval": 0.0}
    epoch = [0]
    started = time.perf_counter()

    def measure(model):
        epoch[0] += 1
        if epoch[0] not in eval_at:
            return {}
        t0 = time.perf_counter()
        z = torch.randn(n, args.latent, generator=torch.Generator().manual_seed(123))
        asked = torch.arange(10).repeat(n // 10) if args.conditional else None
        out = {"epoch": epoch[0], "train_seconds": round(t0 - started - spent["eval"], 1),
               "lr_g": opts[0].param_groups[0]["lr"]}   # the rate of the epoch just trained
        modes = ["eval", "train"] + [f"ema{d:g}" if len(decays) > 1 else "ema" for d in decays]
        for mode in modes:
            gen = model.generator
            if mode.startswith("ema"):
                gen = averages[float(mode[3:]) if len(decays) > 1 else decays[0]].refresh_batch_norm()
                fakes = G.to_unit(G.sample(gen, n, labels=asked, z=z))
            elif mode == "eval":
                fakes = G.to_unit(G.sample(gen, n, labels=asked, z=z))
            else:                       # batch statistics; running averages left untouched
                saved = {k: v.clone() for k, v in gen.state_dict().items()}
                with torch.no_grad():
                    gen.train()
                    fakes = G.to_unit(gen(z, asked) if args.conditional else gen(z))
                gen.load_state_dict(saved)
            hist = metrics.class_histogram(fakes)
            ratio = metrics.frechet_distance(metrics.classifier_features(fakes), test_features) / floor
            out[f"{mode}_fid_ratio"] = round(ratio, 2)
            out[f"{mode}_smallest"] = round(hist.min().item(), 3)
            if args.conditional:
                out[f"{mode}_recognised"] = round((metrics.predict_digits(fakes) == asked).float().mean().item(), 3)
        model.generator.train()
        spent["eval"] += time.perf_counter() - t0
        print(json.dumps(out), flush=True)
        return {}

    history, _ = G.train_gan(gan, loader, args.epochs, k=1, optimizers=opts, real_label=args.real_label, mismatched=args.mismatched,
                             average=average, lr_decay_last=args.lr_decay_last,
                             evaluate=measure, progress=False, verbose=False)
    print(json.dumps([{k: round(float(r[k]), 3) for k in ("epoch", "d_loss", "g_loss", "D(x)", "D(G(z))")}
                      for r in history.records[4::5]]))
    total = time.perf_counter() - started - spent["eval"]
    n_images = args.epochs * (len(images) // args.batch) * args.batch
    print(json.dumps({"config": vars(args), "threads": env.threads, "floor": round(floor, 3),
                      "train_seconds": round(total, 1), "images_per_second": round(n_images / total, 1)}),
          flush=True)


if __name__ == "__main__":
    main()
