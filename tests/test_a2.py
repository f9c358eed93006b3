"""Assignment A2 (variational autoencoders): the solution passes every check, the stub and
plausible wrong stubs fail every check, each classic mistake is rejected by a visible check
whose hint names it, and correct answers written in other styles pass every check.

The notebook runs in-process here (cell by cell with ``exec``, the training cells skipped
except in the first test), so a case takes about a second; tests/test_grade.py runs
notebooks in real kernels.
"""
from __future__ import annotations

import contextlib
import io

import nbformat
import pytest

from assignment_harness import (Assignment, assert_all_pass, assert_fails_as_wrong, assert_fails_on_the_stub,
                                checks_without_a_named_mistake)
from course_lib.grading import authoring
from course_lib.grading.screen import screen_source

# The cells from "## 6. Train your VAE" on train; the checks are all above, so runs stop there
# unless full=True.
A2 = Assignment("A2_vae", stop_at="## 6. Train your VAE")
SOLUTION, ASSIGNMENT = A2.solution, A2.assignment
CHECK_IDS, SOLUTION_IDS, HAS_HIDDEN = A2.check_ids, A2.exercises, A2.has_hidden
EXERCISE_CHECKS = A2.checks_of
CORPUS = A2.load_corpus()


def run_inprocess(path, replace: dict[str, str] | None = None, train: bool = False,
                  stop_after: str | None = None) -> dict[str, BaseException | None]:
    """Run a notebook's code cells in one namespace; each check cell's exception (or None)."""
    return A2.run(path, replace, full=train, stop_after=stop_after)


def test_the_solution_passes_every_check_visible_and_hidden_and_trains():
    assert_all_pass(run_inprocess(SOLUTION, train=True), CHECK_IDS)
    assert all(EXERCISE_CHECKS[ex] for ex in SOLUTION_IDS)  # every exercise has its checks


@pytest.mark.parametrize("path", [ASSIGNMENT, SOLUTION], ids=["assignment", "stubs+hidden tests"])
def test_every_check_fails_on_the_stub_with_its_own_assertion(path):
    assert_fails_on_the_stub(run_inprocess(path, replace=A2.stubs), CHECK_IDS)


def fn(name: str, args: str, body: str) -> str:
    lines = body.strip("\n").split("\n")
    return f"def {name}({args}):\n" + "\n".join("    " + ln for ln in lines)


def rep(body):
    return fn("reparameterize", "mu, logvar", body)


def kl(body):
    return fn("gaussian_kl", "mu, logvar", body)


def nelbo(body):
    return fn("negative_elbo", "x, logits, mu, logvar, reduction='mean'", body)


def iwae(body):
    return fn("iwae_bound", "model, x, k", body)


VAE_LAYERS = """\
class VAE(nn.Module):
    def __init__(self, pixels=784, hidden=400, latent=20):
        super().__init__()
        self.fc1, self.fc_mu, self.fc_logvar = nn.Linear(pixels, hidden), nn.Linear(hidden, latent), nn.Linear(hidden, latent)
        self.fc3, self.fc4 = nn.Linear(latent, hidden), nn.Linear(hidden, pixels)
    def encode(self, x):
        h = F.relu(self.fc1(x))
        return self.fc_mu(h), self.fc_logvar(h)
    def decode(self, z):
        return self.fc4(F.relu(self.fc3(z)))
"""


def vae(forward: str, decode: str | None = None) -> str:
    source = VAE_LAYERS + "    def forward(self, x):\n" + "\n".join("        " + ln for ln in forward.strip().split("\n"))
    if decode is not None:
        source = source.replace("        return self.fc4(F.relu(self.fc3(z)))", "        " + decode)
    return source


# The solution's IWAE with one line changed: `LOG_W` and `REDUCE` are replaced.
IWAE_BODY = """\
mu, logvar = model.encode(x)
n, j = mu.shape
mu_k, logvar_k = mu.expand(k, n, j), logvar.expand(k, n, j)
z = reparameterize(mu_k, logvar_k)
logits = model.decode(z.reshape(k * n, j)).reshape(k, n, -1)
log_px_z = -F.binary_cross_entropy_with_logits(logits, x.expand(k, *x.shape), reduction="none").sum(-1)
log_pz = torch.distributions.Normal(0.0, 1.0).log_prob(z).sum(-1)
log_qz = torch.distributions.Normal(mu_k, torch.exp(0.5 * logvar_k)).log_prob(z).sum(-1)
log_w = LOG_W
return REDUCE
"""


def iwae_variant(log_w="log_px_z + log_pz - log_qz", reduce="torch.logsumexp(log_w, dim=0) - math.log(k)",
                 sample="z = reparameterize(mu_k, logvar_k)", q_std="torch.exp(0.5 * logvar_k)"):
    body = (IWAE_BODY.replace("LOG_W", log_w).replace("REDUCE", reduce)
            .replace("z = reparameterize(mu_k, logvar_k)", sample)
            .replace("torch.exp(0.5 * logvar_k)).log_prob", q_std + ").log_prob"))
    return iwae(body)


BCE = 'F.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(-1)'
KL = "-0.5 * (1 + logvar - mu ** 2 - logvar.exp()).sum(-1)"
REDUCE = ('if reduction == "none":\n    return per\nif reduction == "sum":\n    return per.sum()\n'
          'return per.mean()')

# (exercise, wrong solution, {check id: text the failure message must contain}); "" = any failure
MISTAKES = [
    # --- 1. reparameterize
    ("a2_reparameterize", rep("return torch.normal(mu, torch.exp(0.5 * logvar))"),
     {"a2_reparameterize_check": "no gradient through the sample"}),
    ("a2_reparameterize", rep("return torch.distributions.Normal(mu, torch.exp(0.5 * logvar)).sample()"),
     {"a2_reparameterize_check": "no gradient through the sample"}),
    ("a2_reparameterize", rep("return mu + torch.exp(0.5 * logvar).detach() * torch.randn_like(mu)"),
     {"a2_reparameterize_check": "no gradient through the sample"}),
    ("a2_reparameterize", rep("return (mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)).detach()"),
     {"a2_reparameterize_check": "no gradient through the sample"}),
    ("a2_reparameterize", rep("return mu + torch.exp(logvar) * torch.randn_like(mu)"),
     {"a2_reparameterize_check": "the missing ½", "a2_reparameterize_more": "exp(logvar / 2)"}),
    ("a2_reparameterize", rep("return mu + logvar * torch.randn_like(mu)"),
     {"a2_reparameterize_check": "std vs log-variance", "a2_reparameterize_more": ""}),
    ("a2_reparameterize", rep("return mu + torch.sqrt(logvar) * torch.randn_like(mu)"),
     {"a2_reparameterize_check": "exp(logvar / 2)"}),
    ("a2_reparameterize", rep("return mu + torch.exp(0.5 * logvar) * torch.rand_like(mu)"),
     {"a2_reparameterize_check": "torch.rand"}),
    ("a2_reparameterize", rep("return mu + torch.exp(0.5 * logvar) * torch.randn(mu.shape[-1])"),
     {"a2_reparameterize_check": "same noise"}),
    ("a2_reparameterize", rep("torch.manual_seed(0)\nreturn mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)"),
     {"a2_reparameterize_check": "fresh noise"}),
    ("a2_reparameterize", rep("return mu + 0.5 * torch.exp(0.5 * logvar) * torch.randn_like(mu)"),
     {"a2_reparameterize_check": "not standard normal", "a2_reparameterize_more": "standard deviation 3"}),
    ("a2_reparameterize", rep("return mu"), {"a2_reparameterize_check": "returns mu itself",
                                             "a2_reparameterize_more": ""}),
    ("a2_reparameterize", rep("return torch.zeros_like(mu)"),
     {"a2_reparameterize_check": "No gradient", "a2_reparameterize_more": ""}),
    ("a2_reparameterize", rep("return torch.ones_like(mu) + 0 * mu + 0 * logvar"),
     {"a2_reparameterize_check": "", "a2_reparameterize_more": ""}),
    ("a2_reparameterize", rep("return course_lib.models.vae.reparameterize(mu, logvar)"),
     {"a2_reparameterize_check": "course's own answer", "a2_reparameterize_more": "course's own answer"}),
    ("a2_reparameterize", "reparameterize = course_lib.models.vae.reparameterize",
     {"a2_reparameterize_check": "course's own answer", "a2_reparameterize_more": "course's own answer"}),
    # --- 2. gaussian_kl
    ("a2_gaussian_kl", kl("return 0.5 * (1 + logvar - mu ** 2 - logvar.exp()).sum(-1)"),
     {"a2_gaussian_kl_check": "the KL sign"}),
    ("a2_gaussian_kl", kl("return -0.5 * (1 + 2 * logvar - mu ** 2 - torch.exp(2 * logvar)).sum(-1)"),
     {"a2_gaussian_kl_check": "std vs log-variance"}),
    ("a2_gaussian_kl", kl("std = logvar.exp()\nreturn -0.5 * (1 + logvar - mu ** 2 - std ** 2).sum(-1)"),
     {"a2_gaussian_kl_check": "std vs log-variance"}),
    ("a2_gaussian_kl", kl("return -0.5 * (1 + torch.log(logvar ** 2) - mu ** 2 - logvar ** 2).sum(-1)"),
     {"a2_gaussian_kl_check": "std vs log-variance"}),
    ("a2_gaussian_kl", kl("return -(1 + logvar - mu ** 2 - logvar.exp()).sum(-1)"),
     {"a2_gaussian_kl_check": "the missing ½"}),
    ("a2_gaussian_kl", kl("return -0.5 * (1 + logvar - mu ** 2 - logvar.exp()).mean(-1)"),
     {"a2_gaussian_kl_check": "KL averaged instead of summed"}),
    ("a2_gaussian_kl", kl("return 0.5 * (torch.exp(-logvar) * (1 + mu ** 2) - 1 + logvar).sum(-1)"),
     {"a2_gaussian_kl_check": "arguments reversed"}),
    ("a2_gaussian_kl", kl("return -0.5 * (1 + logvar - mu ** 2 - logvar.exp()).sum()"),
     {"a2_gaussian_kl_check": "summed over the batch too", "a2_gaussian_kl_more": "shape"}),
    ("a2_gaussian_kl", kl("return -0.5 * (1 + logvar - mu ** 2 - logvar.exp()).sum(-1).detach()"),
     {"a2_gaussian_kl_more": "No gradient"}),
    ("a2_gaussian_kl", kl("return torch.zeros(mu.shape[0])"),
     {"a2_gaussian_kl_check": "wrong answer", "a2_gaussian_kl_more": ""}),
    ("a2_gaussian_kl", kl("return mu.sum(-1)"), {"a2_gaussian_kl_check": "", "a2_gaussian_kl_more": ""}),
    ("a2_gaussian_kl", kl("return torch.ones(mu.shape[0]) + 0 * mu.sum(-1) + 0 * logvar.sum(-1)"),
     {"a2_gaussian_kl_check": "", "a2_gaussian_kl_more": ""}),
    ("a2_gaussian_kl", kl("return course_lib.models.vae.gaussian_kl(mu, logvar)"),
     {"a2_gaussian_kl_check": "course's own answer", "a2_gaussian_kl_more": "course's own answer"}),
    ("a2_gaussian_kl", "gaussian_kl = course_lib.models.vae.gaussian_kl",
     {"a2_gaussian_kl_check": "course's own answer", "a2_gaussian_kl_more": "course's own answer"}),
    # --- 3. negative_elbo
    ("a2_negative_elbo", nelbo(f"per = {BCE} - gaussian_kl(mu, logvar)\n{REDUCE}"),
     {"a2_negative_elbo_check": "the KL sign", "a2_negative_elbo_more": "the KL sign"}),
    ("a2_negative_elbo", nelbo(f"per = -({BCE} + gaussian_kl(mu, logvar))\n{REDUCE}"),
     {"a2_negative_elbo_check": "the wrong overall sign", "a2_negative_elbo_more": "overall sign"}),
    ("a2_negative_elbo", nelbo("per = F.binary_cross_entropy_with_logits(torch.sigmoid(logits), x, reduction='none')"
                               f".sum(-1) + gaussian_kl(mu, logvar)\n{REDUCE}"),
     {"a2_negative_elbo_check": "sigmoid applied twice", "a2_negative_elbo_more": "sigmoid applied twice"}),
    ("a2_negative_elbo", nelbo("per = F.binary_cross_entropy_with_logits(logits, x, reduction='none').mean(-1)"
                               f" + gaussian_kl(mu, logvar)\n{REDUCE}"),
     {"a2_negative_elbo_check": "reconstruction averaged while the KL is summed"}),
    ("a2_negative_elbo", nelbo(f"per = F.binary_cross_entropy_with_logits(logits, x) + gaussian_kl(mu, logvar)\n{REDUCE}"),
     {"a2_negative_elbo_check": "reconstruction averaged while the KL is summed"}),
    ("a2_negative_elbo", nelbo(f"per = {BCE} - 0.5 * (1 + logvar - mu ** 2 - logvar.exp()).mean(-1)\n{REDUCE}"),
     {"a2_negative_elbo_check": "KL averaged instead of summed"}),
    ("a2_negative_elbo", nelbo(f"per = {BCE}\n{REDUCE}"), {"a2_negative_elbo_check": "KL term is missing"}),
    ("a2_negative_elbo", nelbo(f"per = {BCE} + gaussian_kl(mu, logvar)\nreturn per.sum() if reduction != 'none' else per"),
     {"a2_negative_elbo_more": "you summed them"}),
    ("a2_negative_elbo", nelbo(f"per = {BCE} + gaussian_kl(mu, logvar)\nreturn per.mean() if reduction != 'none' else per"),
     {"a2_negative_elbo_more": "you averaged them"}),
    ("a2_negative_elbo", nelbo(f"per = {BCE} + gaussian_kl(mu, logvar)\n"
                               "return per if reduction == 'none' else per.sum() / x.numel()"),
     {"a2_negative_elbo_more": "number of pixels"}),
    ("a2_negative_elbo", fn("negative_elbo", "x, logits, mu, logvar, reduction='none'",
                            f"per = {BCE} + gaussian_kl(mu, logvar)\n{REDUCE}"),
     {"a2_negative_elbo_more": "the default reduction is 'mean'"}),
    ("a2_negative_elbo", nelbo(f"per = ({BCE} + gaussian_kl(mu, logvar)).detach()\n{REDUCE}"),
     {"a2_negative_elbo_check": "No gradient"}),
    ("a2_negative_elbo", nelbo("return torch.zeros(len(x)) if reduction == 'none' else torch.tensor(0.0)"),
     {"a2_negative_elbo_check": "", "a2_negative_elbo_more": ""}),
    ("a2_negative_elbo", nelbo("return torch.full((len(x),), 543.0) if reduction == 'none' else torch.tensor(543.0)"),
     {"a2_negative_elbo_check": "", "a2_negative_elbo_more": ""}),
    ("a2_negative_elbo", nelbo("return course_lib.models.vae.negative_elbo(x, logits, mu, logvar).mean()"),
     {"a2_negative_elbo_check": "course's own answer", "a2_negative_elbo_more": "course's own answer"}),
    # --- 4. the VAE
    ("a2_vae", vae("mu, logvar = self.encode(x)\nreturn self.decode(mu), mu, logvar"),
     {"a2_vae_forward": "forgets to sample"}),
    ("a2_vae", vae("mu, logvar = self.encode(x)\nz = torch.normal(mu, torch.exp(0.5 * logvar))\n"
                   "return self.decode(z), mu, logvar"),
     {"a2_vae_forward": "no gradient through the sample"}),
    ("a2_vae", vae("mu, logvar = self.encode(x)\nz = mu + torch.exp(logvar) * torch.randn_like(mu)\n"
                   "return self.decode(z), mu, logvar"),
     {"a2_vae_forward": "std = exp(logvar / 2)"}),
    ("a2_vae", vae("mu, logvar = self.encode(x)\nreturn self.decode(reparameterize(mu, logvar)), logvar, mu"),
     {"a2_vae_forward": "swapped"}),
    ("a2_vae", vae("mu, logvar = self.encode(x)\nreturn torch.sigmoid(self.decode(reparameterize(mu, logvar))), mu, logvar"),
     {"a2_vae_forward": "no sigmoid"}),
    ("a2_vae", vae("mu, logvar = self.encode(x)\nreturn self.decode(reparameterize(mu, logvar)), mu, logvar",
                   decode="return torch.sigmoid(self.fc4(F.relu(self.fc3(z))))"),
     {"a2_vae_check": "probabilities, not logits"}),
    ("a2_vae", vae("h = F.relu(self.fc1(x))\nmu, logvar = self.fc_mu(h), self.fc_logvar(h)\n"
                   "return self.decode(reparameterize(mu, logvar)), mu, logvar"),
     {"a2_vae_forward": "call self.encode once"}),
    ("a2_vae", VAE_LAYERS.replace("self.fc_mu(h), self.fc_logvar(h)", "self.fc_mu(h), self.fc_mu(h)")
     .replace(", nn.Linear(hidden, latent)\n", "\n") .replace("self.fc1, self.fc_mu, self.fc_logvar =",
                                                            "self.fc1, self.fc_mu =")
     + "    def forward(self, x):\n        mu, logvar = self.encode(x)\n"
       "        return self.decode(reparameterize(mu, logvar)), mu, logvar",
     {"a2_vae_check": "two separate linear layers"}),
    ("a2_vae", "class VAE(course_lib.models.vae.VAE):\n    pass",
     {"a2_vae_check": "course's own", "a2_vae_forward": "course's own"}),
    ("a2_vae", vae("return torch.zeros(len(x), 784), torch.zeros(len(x), 20), torch.zeros(len(x), 20)"),
     {"a2_vae_forward": "call self.encode once"}),
    ("a2_vae", "class VAE(nn.Module):\n    def __init__(self, pixels=784, hidden=400, latent=20):\n"
               "        super().__init__()\n        self.pixels, self.latent = pixels, latent\n"
               "    def encode(self, x):\n        return torch.zeros(len(x), self.latent), torch.zeros(len(x), self.latent)\n"
               "    def decode(self, z):\n        return torch.zeros(len(z), self.pixels)\n"
               "    def forward(self, x):\n        mu, logvar = self.encode(x)\n"
               "        return self.decode(mu), mu, logvar",
     {"a2_vae_check": "", "a2_vae_forward": ""}),
    ("a2_vae", vae("mu, logvar = self.encode(x)\nreturn self.decode(mu + reparameterize(mu, logvar) * 0), mu, logvar"),
     {"a2_vae_forward": "forgets to sample"}),
    ("a2_vae", vae("mu, logvar = self.encode(x)\nreturn course_lib.models.vae.reparameterize(mu, logvar), mu, logvar"),
     {"a2_vae_forward": "course's own answer"}),
    # --- 5. the IWAE bound
    ("a2_iwae", iwae_variant(reduce="log_w.mean(0)"),
     {"a2_iwae_check": "mean of log w instead of logsumexp - log k"}),
    ("a2_iwae", iwae_variant(reduce="torch.logsumexp(log_w, dim=0)"),
     {"a2_iwae_check": "IWAE without the log k", "a2_iwae_more": "IWAE without the log k"}),
    ("a2_iwae", iwae_variant(reduce="-(torch.logsumexp(log_w, dim=0) - math.log(k))"),
     {"a2_iwae_check": "the wrong sign", "a2_iwae_more": ""}),
    ("a2_iwae", iwae_variant(reduce="torch.log(torch.exp(log_w).mean(0))"),
     {"a2_iwae_check": "underflowed to 0"}),
    ("a2_iwae", iwae_variant(log_w="log_px_z"), {"a2_iwae_check": "proposal terms are missing"}),
    ("a2_iwae", iwae_variant(q_std="torch.exp(logvar_k)"), {"a2_iwae_check": "std vs log-variance"}),
    ("a2_iwae", iwae_variant(sample="z = mu_k + 0 * logvar_k"), {"a2_iwae_check": "decodes mu itself"}),
    ("a2_iwae", iwae_variant(sample="z = mu_k + torch.exp(logvar_k) * torch.randn_like(mu_k)"),
     {"a2_iwae_check": "not samples of q"}),
    ("a2_iwae", iwae("mu, logvar = model.encode(x)\nlog_w = []\nfor _ in range(k - 1):\n"
                     "    z = reparameterize(mu, logvar)\n"
                     "    log_px = -F.binary_cross_entropy_with_logits(model.decode(z), x, reduction='none').sum(-1)\n"
                     "    log_w.append(log_px + torch.distributions.Normal(0.0, 1.0).log_prob(z).sum(-1)\n"
                     "                 - torch.distributions.Normal(mu, torch.exp(0.5 * logvar)).log_prob(z).sum(-1))\n"
                     "return torch.logsumexp(torch.stack(log_w), 0) - math.log(k)"),
     {"a2_iwae_check": "wrong number of codes"}),
    ("a2_iwae", iwae("return torch.zeros(len(x))"), {"a2_iwae_check": "", "a2_iwae_more": ""}),
    ("a2_iwae", iwae("return torch.full((len(x),), -100.0)"), {"a2_iwae_check": "", "a2_iwae_more": ""}),
    ("a2_iwae", iwae("mu, logvar = model.encode(x)\nreturn mu.sum(-1)"), {"a2_iwae_check": "", "a2_iwae_more": ""}),
    ("a2_iwae", iwae("return course_lib.models.vae.iwae_bound(model, x, k)"),
     {"a2_iwae_check": "course's own answer", "a2_iwae_more": "course's own answer"}),
]


def test_every_mistake_the_issue_lists_is_in_the_table():
    hints = " | ".join(" ".join(expected.values()) for _, _, expected in MISTAKES)
    for name in ("the KL sign", "std vs log-variance", "the missing ½", "KL averaged instead of summed",
                 "no gradient through the sample", "sigmoid applied twice",
                 "reconstruction averaged while the KL is summed", "the wrong overall sign",
                 "mean of log w instead of logsumexp - log k", "IWAE without the log k", "forgets to sample",
                 "course's own answer"):
        assert name in hints, name


@pytest.mark.parametrize("exercise, wrong, expected", MISTAKES,
                         ids=[f"{m[0]}-{i}" for i, m in enumerate(MISTAKES)])
def test_checks_reject_each_mistake_with_the_hint_that_names_it(exercise, wrong, expected):
    outcome = run_inprocess(SOLUTION, replace={exercise: wrong})
    first = next(iter(expected))
    if first in HAS_HIDDEN:  # its visible part alone must fail: run what the student runs
        visible_outcome = run_inprocess(A2.visible(), replace={exercise: wrong}, stop_after=first)
    else:  # the whole cell is visible
        visible_outcome = outcome
    for gid, text in expected.items():
        err = outcome[gid]
        assert err is not None, f"{gid} passes the wrong answer:\n{wrong}"
        assert isinstance(err, AssertionError), (gid, repr(err))
        assert text in str(err), f"{gid}: expected the hint {text!r} in:\n{err}"
    # The hint of the first listed check is given by its VISIBLE part (what the student runs).
    assert isinstance(visible_outcome[first], AssertionError), (first, repr(visible_outcome[first]))
    assert expected[first] in str(visible_outcome[first])
    # Plausible wrong stubs (nothing to name) fail every check of their exercise, by comparison.
    if all(text == "" for text in expected.values()):
        assert_fails_as_wrong(outcome, EXERCISE_CHECKS[exercise], wrong)
    # A mistake in one exercise never costs points in another.
    others = {gid: err for gid, err in outcome.items() if gid not in EXERCISE_CHECKS[exercise]}
    assert all(err is None for err in others.values()), others


def test_every_check_is_shown_to_catch_a_named_mistake():
    assert checks_without_a_named_mistake(CHECK_IDS, MISTAKES) == []
    stubs = {ex for ex, _, expected in MISTAKES if all(text == "" for text in expected.values())}
    assert stubs == set(SOLUTION_IDS)  # every exercise has plausible wrong stubs


def test_the_corpus_has_at_least_eight_styles():
    assert len(CORPUS) >= 8, sorted(CORPUS)


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_correct_answers_in_other_styles_pass_every_check(name):
    cells = CORPUS[name]
    for gid, source in cells.items():
        assert screen_source(source) == [], (gid, screen_source(source))
    assert_all_pass(run_inprocess(SOLUTION, replace=cells), CHECK_IDS)


def test_a_solution_cell_cannot_redirect_the_check_helpers():
    """The helpers of the check cells live in course_lib.vae_checks, so the names they read are
    the module's: a solution cell that rebinds, at top level, what the helpers once read from the
    notebook (the list of blocked references, the stand-in formulas) and then passes the course's
    own answer off as its own still fails, saying why."""
    attack = ("REFERENCE_FUNCTIONS = ()\nCOURSE_FORMULAS = {}\nNOT_THERE = None\n"
              "refusing_code = lambda exercise, name: None\n"
              "reparameterize = course_lib.models.vae.reparameterize")
    outcome = run_inprocess(SOLUTION, replace={"a2_reparameterize": attack})
    for gid in EXERCISE_CHECKS["a2_reparameterize"]:
        assert isinstance(outcome[gid], AssertionError) and "course's own answer" in str(outcome[gid]), gid
    nb = nbformat.read(SOLUTION, as_version=4)
    namespace: dict = {"__name__": "__notebook__"}
    with contextlib.redirect_stdout(io.StringIO()):
        for cell in nb.cells:
            if authoring.is_solution_cell(cell):
                break
            if cell.cell_type == "code":
                exec(compile(cell.source, "<cell>", "exec"), namespace)
    for name in ("as_student", "failure", "binary_images"):  # what the check cells call
        assert namespace[name].__globals__ is not namespace, f"{name} reads the notebook's names"
