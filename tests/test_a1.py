"""Assignment A1 (autoregressive models): the solution passes every check, the stub and
plausible wrong stubs fail every check of their exercise, each classic mistake is caught
by a visible check whose message names it, the course's reference cannot stand in for
the student's code, and correct answers in other PyTorch styles (tests/corpus) pass.

The notebook runs in-process (cell by cell with ``exec``); tests/test_grade.py runs
notebooks in real kernels.
"""
from __future__ import annotations

import os

import pytest

from assignment_harness import (Assignment, assert_all_pass, assert_fails_as_wrong, assert_fails_on_the_stub,
                                checks_without_a_named_mistake)

os.environ.setdefault("COURSE_PROFILE", "fast")  # the demo cells train and sample on the fast profile

# The demonstration cells after the first solution cell (training, sampling digits) are
# skipped unless full=True: the checks do not depend on them, and they take most of the time.
A1 = Assignment("A1_autoregressive", skip_demos=True)
SOLUTION, ASSIGNMENT = A1.solution, A1.assignment
CHECK_IDS, EXERCISES, SOLVED = A1.check_ids, A1.exercises, A1.solved
INFO = A1.info
CORPUS = A1.load_corpus()


def run_inprocess(path, replace: dict[str, str] | None = None, demos: bool = False):
    return A1.run(path, replace, full=demos)


def _checks_of(exercise: str) -> list[str]:
    return A1.checks_of[exercise]


def test_the_exercises_and_their_checks():
    assert EXERCISES == ["a1_mask", "a1_conv", "a1_nll", "a1_bpd", "a1_sample"]
    assert all(_checks_of(e) for e in EXERCISES)
    assert sorted(g for e in EXERCISES for g in _checks_of(e)) == sorted(CHECK_IDS)
    assert INFO.total_points == 20


def test_the_solution_passes_every_check_visible_and_hidden():
    assert_all_pass(run_inprocess(SOLUTION, demos=True), CHECK_IDS)


@pytest.mark.parametrize("path", [ASSIGNMENT, SOLUTION], ids=["assignment", "stubs+hidden tests"])
def test_every_check_fails_on_the_stub_with_its_own_assertion(path):
    assert_fails_on_the_stub(run_inprocess(path, replace=A1.stubs), CHECK_IDS)


# ----------------------------------------------------------------------------------------
# Wrong answers: (exercise, wrong solution cell, {check id: text its message must contain}).
# "" only asks that the check fails with an AssertionError.

def mask_cell(body: str) -> str:
    return ("def causal_mask(kernel_size, mask_type, in_channels=1, out_channels=1):\n"
            "    k, c = kernel_size, kernel_size // 2\n" + "".join(f"    {line}\n" for line in body.split("\n")))


EXPAND = "return m.expand(out_channels, in_channels, k, k).clone()"


def conv_cell(init: str = 'self.register_buffer("mask", causal_mask(kernel_size, mask_type, in_channels, out_channels))',
              forward: str = "return F.conv2d(x, self.weight * self.mask, self.bias, padding=self.padding)",
              base: str = "nn.Conv2d",
              sup: str = "super().__init__(in_channels, out_channels, kernel_size, padding=kernel_size // 2)") -> str:
    return (f"class MaskedConv2d({base}):\n"
            "    def __init__(self, in_channels, out_channels, kernel_size, mask_type):\n"
            f"        {sup}\n"
            + "".join(f"        {line}\n" for line in init.split("\n"))
            + "    def forward(self, x):\n"
            + "".join(f"        {line}\n" for line in forward.split("\n")))


def nll_cell(body: str) -> str:
    return "def nll_per_image(logits, x):\n" + "".join(f"    {line}\n" for line in body.split("\n"))


def bpd_cell(body: str) -> str:
    return f"def bits_per_dim(nll, x):\n    {body}\n"


def sample_cell(inner: str, outer: str = "for i in range(height):\n    for j in range(width):",
                start: str = "canvas = torch.zeros(n, 1, height, width)", end: str = "return canvas") -> str:
    loops = "".join(f"    {line}\n" for line in outer.split("\n"))
    depth = "        " + "    " * (outer.count("\n"))
    return ("def sample(model, n, height, width):\n"
            f"    {start}\n" + loops + "".join(f"{depth}{line}\n" for line in inner.split("\n")) + f"    {end}\n")


BERNOULLI = "canvas[:, :, i, j] = torch.bernoulli(torch.sigmoid(model(canvas)[:, :, i, j]))"
BCE = 'F.binary_cross_entropy_with_logits(logits, x, reduction="none")'

MISTAKES = [
    # --- exercise 1: the causal mask
    ("a1_mask", mask_cell(f"m = torch.zeros(k, k)\nm[:c] = 1\nm[c, :c] = 1\nif mask_type == 'A':\n    m[c, c] = 1\n{EXPAND}"),
     {"a1_mask_check": "the centre pixel has the wrong mask type"}),
    ("a1_mask", mask_cell(f"m = torch.zeros(k, k)\nm[:c] = 1\nm[c, :c] = 1\n{EXPAND}"),  # no centre even for B
     {"a1_mask_check": "the centre pixel has the wrong mask type", "a1_mask_more": "centre"}),
    ("a1_mask", mask_cell(f"m = torch.zeros(k, k)\nm[:c] = 1\nm[c, :c + 1] = 1\n{EXPAND}"),  # centre even for A
     {"a1_mask_check": "the centre pixel has the wrong mask type", "a1_mask_more": "centre"}),
    ("a1_mask", mask_cell(f"m = torch.zeros(k, k)\nm[:c + 1] = 1\nif mask_type == 'A':\n    m[c, c] = 0\n{EXPAND}"),
     {"a1_mask_check": "the rest of the current row leaks", "a1_mask_more": ""}),
    ("a1_mask", mask_cell(f"m = torch.ones(k, k)\nm[c, c + 1:] = 0\nif mask_type == 'A':\n    m[c, c] = 0\n{EXPAND}"),
     {"a1_mask_check": "the rows below the centre leak", "a1_mask_more": ""}),
    ("a1_mask", mask_cell(f"m = torch.zeros(k, k)\nm[:, :c] = 1\nm[:c, c] = 1\nif mask_type == 'B':\n    m[c, c] = 1\n{EXPAND}"),
     {"a1_mask_check": "wrong raster order: you went column by column"}),
    ("a1_mask", mask_cell(f"m = torch.zeros(k, k)\nm[c + 1:] = 1\nm[c, c + 1:] = 1\nif mask_type == 'B':\n    m[c, c] = 1\n{EXPAND}"),
     {"a1_mask_check": "your mask is reversed"}),
    ("a1_mask", mask_cell("return torch.ones(out_channels, in_channels, k, k)"),
     {"a1_mask_check": "all ones", "a1_mask_more": ""}),
    ("a1_mask", mask_cell("return torch.zeros(out_channels, in_channels, k, k)"),
     {"a1_mask_check": "wrong answer", "a1_mask_more": ""}),
    ("a1_mask", mask_cell("m = torch.zeros(k, k)\nm[:c] = 1\nm[c, :c] = 1\nm[c, c] = float(mask_type == 'B')\n"
                          "return m.expand(in_channels, out_channels, k, k).clone()"),
     {"a1_mask_check": "the channel axes are swapped", "a1_mask_more": "shape"}),
    ("a1_mask", mask_cell("m = torch.zeros(k, k)\nm[:c] = 1\nm[c, :c] = 1\nm[c, c] = float(mask_type == 'B')\nreturn m"),
     {"a1_mask_check": "the shape is wrong", "a1_mask_more": "shape"}),
    ("a1_mask", mask_cell("m = torch.zeros(k, k, dtype=torch.bool)\nm[:c] = True\nm[c, :c] = True\n"
                          "m[c, c] = mask_type == 'B'\n" + EXPAND),
     {"a1_mask_check": "wrong dtype"}),
    # --- exercise 2: the masked convolution
    ("a1_conv", conv_cell(forward="self.weight * self.mask  # computed, then dropped\nreturn super().forward(x)"),
     {"a1_conv_check": "UNMASKED convolution", "a1_conv_more": "not causal"}),
    ("a1_conv", conv_cell(init='self.register_buffer("mask", causal_mask(kernel_size, mask_type, in_channels, out_channels))\n'
                               "self.weight.data *= self.mask  # only once",
                          forward="return super().forward(x)"),
     {"a1_conv_check": "masking once in __init__", "a1_conv_more": "not once in __init__"}),
    ("a1_conv", conv_cell(forward="return super().forward(x * self.mask)"),
     {"a1_conv_check": "not with the input or the output", "a1_conv_more": "not with the input or the output"}),
    ("a1_conv", conv_cell(forward="return super().forward(x) * self.mask"),
     {"a1_conv_check": "not with the input or the output", "a1_conv_more": "not with the input or the output"}),
    ("a1_conv", conv_cell(forward="self.weight *= self.mask\nreturn super().forward(x)"),
     {"a1_conv_check": "in place", "a1_conv_more": "in place"}),
    ("a1_conv", conv_cell(init="self.mask = nn.Parameter(causal_mask(kernel_size, mask_type, in_channels, out_channels))"),
     {"a1_conv_check": "the mask is an nn.Parameter", "a1_conv_more": "nn.Parameter"}),
    ("a1_conv", conv_cell(sup="super().__init__(in_channels, out_channels, kernel_size)"),
     {"a1_conv_check": "no padding", "a1_conv_more": "spatial shape"}),
    ("a1_conv", conv_cell(init='self.register_buffer("mask", causal_mask(kernel_size, "A", in_channels, out_channels))'),
     {"a1_conv_check": "the other mask type"}),
    ("a1_conv", conv_cell(forward="return F.conv2d(x, self.weight * self.mask, None, padding=self.padding)"),
     {"a1_conv_check": "the bias is missing"}),
    ("a1_conv", conv_cell(forward="return F.conv2d(x, (self.weight * self.mask).detach(), self.bias, padding=self.padding)"),
     {"a1_conv_more": "No gradient reaches"}),
    ("a1_conv", conv_cell(forward="return x"), {"a1_conv_check": "", "a1_conv_more": ""}),
    ("a1_conv", conv_cell(forward="return torch.zeros(len(x), self.out_channels, *x.shape[2:])"),
     {"a1_conv_check": "wrong answer", "a1_conv_more": ""}),
    ("a1_conv", conv_cell(sup="super().__init__(in_channels, out_channels, kernel_size, padding=kernel_size // 2, bias=False)",
                          forward="return F.conv2d(x, self.weight * self.mask, None, padding=self.padding)"),
     {"a1_conv_check": "bias=True", "a1_conv_more": "bias=True"}),
    # --- exercise 3: the likelihood
    ("a1_nll", nll_cell(f"return {BCE}.flatten(1).mean(1)"),
     {"a1_nll_check": "you averaged over the pixels (or divided by their number) where the contract sums",
      "a1_nll_more": ""}),
    ("a1_nll", nll_cell(f"return {BCE}.mean()"), {"a1_nll_check": "shape is wrong", "a1_nll_more": ""}),
    ("a1_nll", nll_cell(f"return {BCE}.sum()"), {"a1_nll_check": "shape is wrong", "a1_nll_more": ""}),
    ("a1_nll", nll_cell(f"return {BCE}.flatten(1).sum(1) / x[0].numel()"),
     {"a1_nll_check": "or divided by their number", "a1_nll_more": ""}),
    ("a1_nll", nll_cell(f"return {BCE}.flatten(1).sum(1) / math.log(2)"),
     {"a1_nll_check": "your result is in bits", "a1_nll_more": ""}),
    ("a1_nll", nll_cell(f"return -{BCE}.flatten(1).sum(1)"), {"a1_nll_check": "sign is flipped", "a1_nll_more": ""}),
    ("a1_nll", nll_cell(f"return {BCE}.sum(dim=(2, 3))"), {"a1_nll_check": "shape is wrong", "a1_nll_more": ""}),
    ("a1_nll", nll_cell(f"if logits.dim() == 5:\n    return -logits.gather(1, x.unsqueeze(1)).flatten(1).sum(1)\n"
                        f"return {BCE}.flatten(1).sum(1)"),
     {"a1_nll_check": "normalise first", "a1_nll_more": ""}),
    ("a1_nll", nll_cell(f"if logits.dim() == 5:\n    return -F.softmax(logits, 1).gather(1, x.unsqueeze(1)).flatten(1).sum(1)\n"
                        f"return {BCE}.flatten(1).sum(1)"),
     {"a1_nll_check": "not -softmax", "a1_nll_more": ""}),
    ("a1_nll", nll_cell(f"if logits.dim() == 5:\n    return -F.log_softmax(logits, -1).gather(1, x.unsqueeze(1)).flatten(1).sum(1)\n"
                        f"return {BCE}.flatten(1).sum(1)"),
     {"a1_nll_check": "the softmax runs over the wrong axis", "a1_nll_more": ""}),
    ("a1_nll", nll_cell(f"return {BCE}.flatten(1).sum(1)"),  # Bernoulli only: the K-level case crashes
     {"a1_nll_check": "raised", "a1_nll_more": "raised"}),
    ("a1_nll", nll_cell(f"if logits.dim() == 5:\n    return F.cross_entropy(logits, x, reduction='none').flatten(1).mean(1)\n"
                        f"return {BCE}.flatten(1).sum(1)"),
     {"a1_nll_check": "you averaged over the pixels", "a1_nll_more": ""}),
    ("a1_nll", nll_cell("p = torch.sigmoid(logits)\nreturn -(x * torch.log(p) + (1 - x) * torch.log(1 - p)).flatten(1).sum(1)"),
     {"a1_nll_check": "use F.logsigmoid"}),
    ("a1_nll", nll_cell('return F.binary_cross_entropy_with_logits(x, logits, reduction="none").flatten(1).sum(1)'),
     {"a1_nll_check": "the arguments are swapped"}),
    ("a1_nll", nll_cell("per_pixel = F.cross_entropy(logits, x, reduction='none') if logits.dim() == 5 else "
                        f"{BCE}\nreturn torch.tensor([float(v) for v in per_pixel.flatten(1).sum(1)])"),
     {"a1_nll_more": "no .item(), .detach()"}),
    ("a1_nll", nll_cell("return torch.zeros(len(x))"), {"a1_nll_check": "wrong answer", "a1_nll_more": ""}),
    # --- exercise 4: bits per dimension
    ("a1_bpd", bpd_cell("return nll / x[0].numel()"), {"a1_bpd_check": "nats per dimension"}),
    ("a1_bpd", bpd_cell("return nll / math.log(2)"), {"a1_bpd_check": "bits per IMAGE"}),
    ("a1_bpd", bpd_cell("return nll / (x.numel() * math.log(2))"), {"a1_bpd_check": "the whole batch"}),
    ("a1_bpd", bpd_cell("return nll / (x.shape[-1] * x.shape[-2] * math.log(2))"), {"a1_bpd_check": "height x width only"}),
    ("a1_bpd", bpd_cell("return nll / (x[0].numel() * math.log(10))"), {"a1_bpd_check": "log base 10"}),
    ("a1_bpd", bpd_cell("return nll * math.log(2) / x[0].numel()"), {"a1_bpd_check": "multiplied by ln 2"}),
    ("a1_bpd", bpd_cell("return (nll / (x[0].numel() * math.log(2))).mean()"), {"a1_bpd_check": "averaged over the images"}),
    ("a1_bpd", bpd_cell("return nll"), {"a1_bpd_check": "wrong answer"}),
    # --- exercise 5: sampling
    ("a1_sample", sample_cell("canvas[:, :, i, j] = (torch.sigmoid(model(canvas)[:, :, i, j]) > 0.5).float()"),
     {"a1_sample_check": "argmax", "a1_sample_more": "argmax"}),
    ("a1_sample", sample_cell("canvas[:, :, i, j] = torch.sigmoid(model(canvas)[:, :, i, j]).round()"),
     {"a1_sample_check": "argmax", "a1_sample_more": "argmax"}),
    ("a1_sample", sample_cell("out[:, :, i, j] = torch.bernoulli(torch.sigmoid(model(canvas)[:, :, i, j]))",
                              start="canvas = torch.zeros(n, 1, height, width)\n    out = canvas.clone()", end="return out"),
     {"a1_sample_check": "never fed back", "a1_sample_more": "never fed back"}),
    ("a1_sample", sample_cell("canvas[:, :, i, j] = torch.bernoulli(torch.sigmoid(model(canvas)[:, :, i, j]))",
                              outer="for j in range(width):\n    for i in range(height):"),
     {"a1_sample_check": "column by column", "a1_sample_more": "column by column"}),
    ("a1_sample", sample_cell("canvas[:, :, i, j] = torch.bernoulli(torch.sigmoid(logits[:, :, i, j]))",
                              start="canvas = torch.zeros(n, 1, height, width)\n    logits = model(canvas)"),
     {"a1_sample_check": "one pass per pixel", "a1_sample_more": "one pass per pixel"}),
    ("a1_sample", sample_cell("canvas[:, :, i, j] = torch.bernoulli(model(canvas)[:, :, i, j])"),
     {"a1_sample_check": "apply torch.sigmoid", "a1_sample_more": "apply torch.sigmoid"}),
    ("a1_sample", sample_cell("canvas[:, :, i, j] = torch.sigmoid(model(canvas)[:, :, i, j])"),
     {"a1_sample_check": "values other than 0 and 1", "a1_sample_more": "values other than 0 and 1"}),
    ("a1_sample", sample_cell("canvas[:, :, i, j] = torch.bernoulli(torch.sigmoid(model(canvas)[:, :, i, j]), generator=g)",
                              start="canvas = torch.zeros(n, 1, height, width)\n    g = torch.Generator().manual_seed(0)"),
     {"a1_sample_more": "its own torch.Generator"}),
    ("a1_sample", "def sample(model, n, height, width):\n    return torch.zeros(n, 1, height, width)",
     {"a1_sample_check": "", "a1_sample_more": ""}),
    ("a1_sample", "def sample(model, n, height, width):\n    return torch.bernoulli(torch.full((n, 1, height, width), 0.5))",
     {"a1_sample_check": "one pass per pixel", "a1_sample_more": ""}),
    ("a1_sample", "def sample(model, n, height, width):\n    return torch.bernoulli(torch.sigmoid(model(torch.zeros(n, 1, height, width))))",
     {"a1_sample_check": "one pass per pixel", "a1_sample_more": ""}),
]


@pytest.mark.parametrize("exercise, wrong, expected", MISTAKES, ids=[f"{m[0]}-{i}" for i, m in enumerate(MISTAKES)])
def test_checks_reject_common_mistakes_with_their_hint(exercise, wrong, expected):
    # Run on the student's copy, solved: the VISIBLE checks (no hidden tests there) catch and name it.
    outcome = run_inprocess(ASSIGNMENT, replace={**SOLVED, exercise: wrong})
    for gid, text in expected.items():
        err = outcome[gid]
        assert err is not None, f"{gid} passes the wrong answer:\n{wrong}"
        assert isinstance(err, AssertionError), (gid, repr(err))
        assert text in str(err), f"{gid}: expected the hint {text!r} in:\n{err}"
    # A mistake in one exercise never costs points in another.
    others = {gid: err for gid, err in outcome.items() if not gid.startswith(exercise + "_")}
    assert all(err is None for err in others.values()), others


# ----------------------------------------------------------------------------------------
# The course's reference cannot stand in for the student's code.

REFERENCE_CALLS = [
    ("a1_mask", "def causal_mask(kernel_size, mask_type, in_channels=1, out_channels=1):\n"
                "    return pixelcnn.causal_mask(kernel_size, mask_type, in_channels, out_channels)",
     {"a1_mask_check": "the course's own reference", "a1_mask_more": "pixelcnn.causal_mask"}),
    ("a1_conv", "class MaskedConv2d(pixelcnn.MaskedConv2d):\n    pass",
     {"a1_conv_check": "the course's own reference", "a1_conv_more": "the course's own reference"}),
    ("a1_conv", "class MaskedConv2d(pixelcnn.MaskedConv2d):\n"
                "    def __init__(self, in_channels, out_channels, kernel_size, mask_type):\n"
                "        nn.Conv2d.__init__(self, in_channels, out_channels, kernel_size, padding=kernel_size // 2)\n"
                '        self.register_buffer("mask", causal_mask(kernel_size, mask_type, in_channels, out_channels))',
     {"a1_conv_check": "subclasses the course's reference", "a1_conv_more": "subclasses the course's reference"}),
    ("a1_conv", conv_cell(init="self.inner = pixelcnn.MaskedConv2d(in_channels, out_channels, kernel_size, mask_type)",
                          forward="return self.inner(x)"),
     {"a1_conv_check": "pixelcnn.MaskedConv2d", "a1_conv_more": "pixelcnn.MaskedConv2d"}),
    ("a1_conv", conv_cell(forward="return pixelcnn.MaskedConv2d.forward(self, x)"),
     {"a1_conv_check": "pixelcnn.MaskedConv2d", "a1_conv_more": "pixelcnn.MaskedConv2d"}),
    ("a1_nll", "def nll_per_image(logits, x):\n    return pixelcnn.nll_per_image(logits, x)",
     {"a1_nll_check": "pixelcnn.nll_per_image", "a1_nll_more": "pixelcnn.nll_per_image"}),
    ("a1_bpd", "def bits_per_dim(nll, x):\n"
               "    return torch.tensor([likelihood.nats_to_bits_per_dim(v, x[0].numel()) for v in nll.tolist()])",
     {"a1_bpd_check": "likelihood.nats_to_bits_per_dim"}),
    ("a1_bpd", "def bits_per_dim(nll, x):\n"  # the same function, re-exported by the PixelCNN module
               "    return torch.tensor([pixelcnn.nats_to_bits_per_dim(v, x[0].numel()) for v in nll.tolist()])",
     {"a1_bpd_check": "pixelcnn.nats_to_bits_per_dim"}),
    ("a1_sample", "def sample(model, n, height, width):\n    return pixelcnn.sample(model, n, (1, height, width))",
     {"a1_sample_check": "pixelcnn.sample", "a1_sample_more": "pixelcnn.sample"}),
]


@pytest.mark.parametrize("exercise, wrong, expected", REFERENCE_CALLS,
                         ids=[f"{m[0]}-{i}" for i, m in enumerate(REFERENCE_CALLS)])
def test_calling_the_course_reference_fails_and_says_why(exercise, wrong, expected):
    outcome = run_inprocess(SOLUTION, replace={exercise: wrong})
    for gid, text in expected.items():
        err = outcome[gid]
        assert isinstance(err, AssertionError), (gid, repr(err))
        assert text in str(err), f"{gid}: expected {text!r} in:\n{err}"
    # ... and the reference is back in place for the other exercises.
    others = {gid: err for gid, err in outcome.items() if not gid.startswith(exercise + "_")}
    assert all(err is None for err in others.values()), others


# ----------------------------------------------------------------------------------------
# Correct answers in other styles.

def test_the_corpus_has_at_least_eight_styles_and_covers_every_exercise():
    assert len(CORPUS) >= 8
    covered = {gid for cells in CORPUS.values() for gid in cells}
    assert covered == set(EXERCISES)


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_correct_answers_in_other_styles_pass_every_check(name):
    outcome = run_inprocess(SOLUTION, replace=CORPUS[name])
    assert {gid: str(err) for gid, err in outcome.items() if err is not None} == {}


# ----------------------------------------------------------------------------------------
# Plausible wrong stubs: zeros, the input returned, a constant, the right shape with wrong
# values. Every check of the exercise fails with the check's own comparison (not a stub's
# NotImplementedError, not a crash of the check).

WRONG_STUBS = {
    "a1_mask": [mask_cell("return torch.zeros(out_channels, in_channels, k, k)"),
                mask_cell("return torch.ones(out_channels, in_channels, k, k)"),
                mask_cell("return torch.tensor(1.0)"),
                mask_cell("return torch.rand(out_channels, in_channels, k, k).round()")],
    "a1_conv": [conv_cell(forward="return torch.zeros(len(x), self.out_channels, *x.shape[2:])"),
                conv_cell(forward="return x"),
                conv_cell(forward="return torch.ones(len(x), self.out_channels, *x.shape[2:])"),
                conv_cell(forward="return F.conv2d(x, self.weight, self.bias, padding=self.padding)")],
    "a1_nll": [nll_cell("return torch.zeros(len(x))"), nll_cell("return x.flatten(1).sum(1).float()"),
               nll_cell("return torch.tensor(100.0)"), nll_cell("return logits.flatten(1).sum(1)")],
    "a1_bpd": [bpd_cell("return torch.zeros_like(nll)"), bpd_cell("return nll"), bpd_cell("return torch.tensor(1.0)"),
               bpd_cell("return nll / 784")],
    "a1_sample": ["def sample(model, n, height, width):\n    return torch.zeros(n, 1, height, width)",
                  "def sample(model, n, height, width):\n    return torch.ones(n, 1, height, width)",
                  "def sample(model, n, height, width):\n    return torch.bernoulli(torch.full((n, 1, height, width), 0.5))"],
}


@pytest.mark.parametrize("exercise, wrong", [(e, w) for e, ws in WRONG_STUBS.items() for w in ws],
                         ids=[f"{e}-{i}" for e, ws in WRONG_STUBS.items() for i in range(len(ws))])
def test_plausible_wrong_stubs_fail_every_check_of_their_exercise(exercise, wrong):
    assert_fails_as_wrong(run_inprocess(SOLUTION, replace={exercise: wrong}), _checks_of(exercise), wrong)


def test_every_check_is_shown_to_catch_a_named_mistake():
    assert set(WRONG_STUBS) == set(EXERCISES)
    assert checks_without_a_named_mistake(CHECK_IDS, MISTAKES + REFERENCE_CALLS) == []
