"""Assignment A3 (GANs): the solution passes every check, the stub fails every check, each
classic mistake is caught by a visible check whose hint names it, the course's reference
cannot stand in for the student's code, and correct answers in other styles
(tests/corpus/A3_gans) pass.

The notebooks run in-process here (cell by cell with ``exec``); tests/test_grade.py runs
notebooks in real kernels.
"""
from __future__ import annotations

import pytest

from assignment_harness import (Assignment, assert_all_pass, assert_fails_as_wrong, assert_fails_on_the_stub,
                                checks_without_a_named_mistake)
from course_lib.grading import authoring

A3 = Assignment("A3_gans", threads=1)  # tiny models: one thread is faster, above all on a busy machine
SOLUTION, ASSIGNMENT = A3.solution, A3.assignment
EXERCISES, CHECK_IDS = A3.exercises, A3.check_ids
CORPUS = A3.load_corpus()
# which checks belong to which exercise (a mistake in one exercise must cost nothing elsewhere)
OWNER = {"a3_d_loss": ("a3_d_loss_check", "a3_d_loss_more"),
         "a3_g_losses": ("a3_g_losses_check", "a3_g_losses_more"),
         "a3_optimal_d": ("a3_optimal_d_check",),
         "a3_jsd": ("a3_jsd_check", "a3_jsd_more"),
         "a3_training_step": ("a3_training_step_check", "a3_training_step_more"),
         "a3_dcgan": ("a3_dcgan_check", "a3_dcgan_more")}


def run_inprocess(path, replace: dict[str, str] | None = None) -> dict[str, BaseException | None]:
    """Run a notebook's code cells in one namespace; each check cell's exception (or None)."""
    return A3.run(path, replace)


def test_every_exercise_has_its_checks():
    assert set(OWNER) == set(EXERCISES)
    assert sorted(g for gs in OWNER.values() for g in gs) == sorted(CHECK_IDS)
    assert {ex: tuple(ids) for ex, ids in A3.checks_of.items()} == OWNER


def test_the_solution_passes_every_check_visible_and_hidden():
    assert_all_pass(run_inprocess(SOLUTION), CHECK_IDS)


@pytest.mark.parametrize("path", [ASSIGNMENT, SOLUTION], ids=["assignment", "stubs+hidden tests"])
def test_every_check_fails_on_the_stub_with_its_own_assertion(path):
    assert_fails_on_the_stub(run_inprocess(path, replace=A3.stubs), CHECK_IDS)


# Plausible wrong stubs: a constant, the input returned, zeros, right shape wrong values.
WRONG_STUBS = {
    "a3_d_loss": ["def discriminator_loss(real_logits, fake_logits):\n    return torch.tensor(0.0)",
                  "def discriminator_loss(real_logits, fake_logits):\n    return real_logits.mean() - fake_logits.mean()",
                  "def discriminator_loss(real_logits, fake_logits):\n    return torch.tensor(2 * math.log(2))"],
    "a3_g_losses": ["def saturating_generator_loss(fake_logits):\n    return fake_logits.mean()\n"
                    "def non_saturating_generator_loss(fake_logits):\n    return torch.zeros(())",
                    "def saturating_generator_loss(fake_logits):\n    return torch.tensor(1.0)\n"
                    "def non_saturating_generator_loss(fake_logits):\n    return fake_logits.sum() * 0 + 0.6931"],
    "a3_optimal_d": ["def optimal_discriminator(p_data, p_g):\n    return torch.full_like(p_data, 0.5)",
                     "def optimal_discriminator(p_data, p_g):\n    return p_data",
                     "def optimal_discriminator(p_data, p_g):\n    return torch.zeros_like(p_data)"],
    "a3_jsd": ["def jensen_shannon(p, q):\n    return torch.zeros(p.shape[:-1])",
               "def jensen_shannon(p, q):\n    return (p - q).abs().sum(-1) / 2"],
    "a3_training_step": ["def training_step(generator, discriminator, g_optimizer, d_optimizer, real, k):\n"
                         "    return {'d_loss': 0.0, 'g_loss': 0.0}"],
    "a3_dcgan": ["class Generator(nn.Module):\n    def __init__(self, latent_dim=64, channels=32):\n"
                 "        super().__init__()\n        self.latent_dim = latent_dim\n"
                 "    def forward(self, z):\n        return torch.zeros(len(z), 1, 28, 28)\n"
                 "class Discriminator(nn.Module):\n    def __init__(self, channels=32):\n        super().__init__()\n"
                 "    def forward(self, x):\n        return torch.zeros(len(x))",
                 "class Generator(nn.Module):\n    def __init__(self, latent_dim=64, channels=32):\n"
                 "        super().__init__()\n        self.latent_dim = latent_dim\n"
                 "        self.scale = nn.Parameter(torch.ones(()))\n"
                 "    def forward(self, z):\n        return torch.tanh(self.scale * torch.randn(len(z), 1, 28, 28))\n"
                 "class Discriminator(nn.Module):\n    def __init__(self, channels=32):\n        super().__init__()\n"
                 "        self.scale = nn.Parameter(torch.ones(()))\n"
                 "    def forward(self, x):\n        return self.scale * x.flatten(1).mean(1)"],
}


@pytest.mark.parametrize("exercise, wrong", [(e, w) for e, ws in WRONG_STUBS.items() for w in ws],
                         ids=[f"{e}-{i}" for e, ws in WRONG_STUBS.items() for i in range(len(ws))])
def test_plausible_wrong_stubs_fail_every_check_of_their_exercise(exercise, wrong):
    assert_fails_as_wrong(run_inprocess(SOLUTION, replace={exercise: wrong}), OWNER[exercise], wrong)


TRAIN_STEP = '''def training_step(generator, discriminator, g_optimizer, d_optimizer, real, k):
    m = len(real) // k
    d_losses = []
    for i in range(k):
{make_fakes}
        real_logits, fake_logits = discriminator(real[{rows}]), discriminator(fakes)
        d_loss = {d_loss}
{d_update}
        d_losses.append(d_loss.item())
{inside_loop}
    g_loss = {g_loss}
    g_optimizer.zero_grad()
    g_loss.backward()
{g_update}
    return {{"d_loss": sum(d_losses) / k, "g_loss": g_loss.item()}}
'''
STEP_DEFAULTS = dict(
    make_fakes="        with torch.no_grad():\n            fakes = generator(torch.randn(m, generator.latent_dim))",
    rows="i * m:(i + 1) * m",
    d_loss="discriminator_loss(real_logits, fake_logits)",
    d_update="        d_optimizer.zero_grad()\n        d_loss.backward()\n        d_optimizer.step()",
    inside_loop="",
    g_loss="non_saturating_generator_loss(discriminator(generator(torch.randn(m, generator.latent_dim))))",
    g_update="    g_optimizer.step()")


def step_with(**changes) -> str:
    return TRAIN_STEP.format(**{**STEP_DEFAULTS, **changes})


INSIDE_THE_LOOP = '''def training_step(generator, discriminator, g_optimizer, d_optimizer, real, k):
    m = len(real) // k
    d_losses = []
    for i in range(k):
        with torch.no_grad():
            fakes = generator(torch.randn(m, generator.latent_dim))
        d_loss = discriminator_loss(discriminator(real[i * m:(i + 1) * m]), discriminator(fakes))
        d_optimizer.zero_grad()
        d_loss.backward()
        d_optimizer.step()
        d_losses.append(d_loss.item())
        g_loss = non_saturating_generator_loss(discriminator(generator(torch.randn(m, generator.latent_dim))))
        g_optimizer.zero_grad()
        g_loss.backward()
        g_optimizer.step()
    return {"d_loss": sum(d_losses) / k, "g_loss": g_loss.item()}
'''


def test_the_training_step_template_is_correct():
    outcome = run_inprocess(SOLUTION, replace={"a3_training_step": step_with()})
    assert outcome["a3_training_step_check"] is None and outcome["a3_training_step_more"] is None


# (exercise, wrong solution, {check id: text the failure message must contain}); every
# mistake the issue lists is here, each caught by a VISIBLE check (the *_check cells and
# the visible part of *_more cells) with a hint that names it.
MISTAKES = [
    # real/fake labels swapped
    ("a3_d_loss", "def discriminator_loss(real_logits, fake_logits):\n"
                  "    return F.softplus(real_logits).mean() + F.softplus(-fake_logits).mean()",
     {"a3_d_loss_check": "labels are swapped"}),
    ("a3_training_step", step_with(d_loss="F.binary_cross_entropy_with_logits(real_logits, torch.zeros_like(real_logits)) "
                                          "+ F.binary_cross_entropy_with_logits(fake_logits, torch.ones_like(fake_logits))"),
     {"a3_training_step_check": "labels are swapped"}),
    # sigmoid before a logits loss
    ("a3_d_loss", "def discriminator_loss(real_logits, fake_logits):\n"
                  "    r, f = torch.sigmoid(real_logits), torch.sigmoid(fake_logits)\n"
                  "    return F.binary_cross_entropy_with_logits(r, torch.ones_like(r)) + "
                  "F.binary_cross_entropy_with_logits(f, torch.zeros_like(f))",
     {"a3_d_loss_check": "sigmoid before a loss that expects logits"}),
    ("a3_g_losses", "def saturating_generator_loss(fake_logits):\n    return -F.softplus(fake_logits).mean()\n"
                    "def non_saturating_generator_loss(fake_logits):\n"
                    "    return F.binary_cross_entropy_with_logits(torch.sigmoid(fake_logits), torch.ones_like(fake_logits))",
     {"a3_g_losses_check": "sigmoid before a loss that expects logits"}),
    ("a3_training_step", step_with(d_loss="discriminator_loss(torch.sigmoid(real_logits), torch.sigmoid(fake_logits))"),
     {"a3_training_step_check": "sigmoid before a loss that expects logits"}),
    # the saturating loss where the non-saturating one is asked
    ("a3_g_losses", "def saturating_generator_loss(fake_logits):\n    return -F.softplus(fake_logits).mean()\n"
                    "def non_saturating_generator_loss(fake_logits):\n    return -F.softplus(fake_logits).mean()",
     {"a3_g_losses_check": "saturating loss log(1 - D(G(z))) where the non-saturating loss"}),
    ("a3_training_step", step_with(g_loss="saturating_generator_loss(discriminator(generator(torch.randn(m, generator.latent_dim))))"),
     {"a3_training_step_check": "saturating loss log(1 - D(G(z))) where the non-saturating loss"}),
    # the fake batch not detached in the discriminator step
    ("a3_training_step", step_with(make_fakes="        fakes = generator(torch.randn(m, generator.latent_dim))"),
     {"a3_training_step_check": "not detached in the discriminator step"}),
    # the generator updated inside the k-step loop
    ("a3_training_step", INSIDE_THE_LOOP, {"a3_training_step_check": "generator was updated inside the k-step loop",
                                           "a3_training_step_more": "generator was updated inside the k-step loop"}),
    # the optimal discriminator upside down
    ("a3_optimal_d", "def optimal_discriminator(p_data, p_g):\n    return p_g / (p_data + p_g)",
     {"a3_optimal_d_check": "upside down"}),
    # JSD without its 1/2 factors, or against the wrong mixture
    ("a3_jsd", "def jensen_shannon(p, q):\n    m = (p + q) / 2\n    return kl_divergence(p, m) + kl_divergence(q, m)",
     {"a3_jsd_check": "without its 1/2 factors", "a3_jsd_more": "-log 4 + 2 JSD"}),
    ("a3_jsd", "def jensen_shannon(p, q):\n    m = p + q\n    return 0.5 * kl_divergence(p, m) + 0.5 * kl_divergence(q, m)",
     {"a3_jsd_check": "wrong mixture: m = (p + q) / 2"}),
    ("a3_jsd", "def jensen_shannon(p, q):\n    return 0.5 * kl_divergence(p, q) + 0.5 * kl_divergence(q, p)",
     {"a3_jsd_check": "wrong mixture"}),
    # more mistakes the checks name
    ("a3_d_loss", "def discriminator_loss(real_logits, fake_logits):\n"
                  "    return -(torch.log(torch.sigmoid(real_logits)).mean() + torch.log(1 - torch.sigmoid(fake_logits)).mean())",
     {"a3_d_loss_check": "overflows"}),
    ("a3_d_loss", "def discriminator_loss(real_logits, fake_logits):\n"
                  "    return F.softplus(-real_logits).sum() + F.softplus(fake_logits).sum()",
     {"a3_d_loss_check": "summed"}),
    ("a3_g_losses", "def saturating_generator_loss(fake_logits):\n    return -F.softplus(fake_logits).mean()\n"
                    "def non_saturating_generator_loss(fake_logits):\n    return -F.softplus(-fake_logits).mean()",
     {"a3_g_losses_check": "sign is flipped", "a3_g_losses_more": "log 2"}),
    ("a3_g_losses", "def saturating_generator_loss(fake_logits):\n    return F.softplus(-fake_logits).mean()\n"
                    "def non_saturating_generator_loss(fake_logits):\n    return F.softplus(-fake_logits).mean()",
     {"a3_g_losses_check": "this is the non-saturating loss"}),
    ("a3_training_step", step_with(d_update="        d_loss.backward()\n        d_optimizer.step()"),
     {"a3_training_step_check": "zero_grad"}),
    ("a3_training_step", step_with(g_update="    g_optimizer.step()\n    d_optimizer.step()"),
     {"a3_training_step_check": "generator step must not update D"}),
    ("a3_training_step", step_with(rows=":"),
     {"a3_training_step_check": "should use the real minibatch", "a3_training_step_more": "should use the real minibatch"}),
    # a per-example loss left unaveraged: a (1,)-shaped "loss"
    ("a3_d_loss", "def discriminator_loss(real_logits, fake_logits):\n"
                  "    return F.softplus(-real_logits).mean(0, keepdim=True) + F.softplus(fake_logits).mean(0, keepdim=True)",
     {"a3_d_loss_more": "`discriminator_loss (a 0-d tensor)` has the wrong shape"}),
    ("a3_training_step", "def training_step(generator, discriminator, g_optimizer, d_optimizer, real, k):\n"
                         "    from course_lib.models.gan import GAN, training_step as course_step\n"
                         "    out = course_step(GAN(generator, discriminator), real, g_optimizer, d_optimizer, k)\n"
                         "    return {'d_loss': float(out['d_loss']), 'g_loss': float(out['g_loss'])}",
     {"a3_training_step_check": "calls the course's own"}),
    ("a3_d_loss", "def discriminator_loss(real_logits, fake_logits):\n"
                  "    from course_lib.models.gan import discriminator_loss as course\n    return course(real_logits, fake_logits)",
     {"a3_d_loss_check": "calls the course's own"}),
    ("a3_jsd", "def jensen_shannon(p, q):\n    return theory.jensen_shannon(p, q)",
     {"a3_jsd_check": "calls the course's own"}),
    ("a3_optimal_d", "def optimal_discriminator(p_data, p_g):\n    return theory.optimal_discriminator(p_data, p_g)",
     {"a3_optimal_d_check": "calls the course's own"}),
]

DCGAN_SOLUTION = authoring.read_solution(SOLUTION)[0]
_DCGAN_SOURCE = next(c.source for c in DCGAN_SOLUTION.cells if authoring.nbgrader_meta(c).get("grade_id") == "a3_dcgan")
MISTAKES += [
    ("a3_dcgan", _DCGAN_SOURCE.replace("nn.Conv2d(c, 2 * c, 4, 2, 1, bias=False)",
                                       "nn.Conv2d(c, 2 * c, 3, 1, 1, bias=False), nn.MaxPool2d(2)"),
     {"a3_dcgan_check": "pooling", "a3_dcgan_more": "replace pooling by strided convolutions"}),
    ("a3_dcgan", _DCGAN_SOURCE.replace("nn.Conv2d(2 * c, 1, 7))", "nn.Conv2d(2 * c, 1, 7), nn.Sigmoid())"),
     {"a3_dcgan_check": "logits"}),
    ("a3_dcgan", _DCGAN_SOURCE.replace("nn.ConvTranspose2d(2 * c, 1, 4, 2, 1), nn.Tanh())",
                                       "nn.ConvTranspose2d(2 * c, 1, 4, 2, 1))"),
     {"a3_dcgan_check": "tanh"}),
    ("a3_dcgan", _DCGAN_SOURCE.replace("nn.ConvTranspose2d(4 * c, 2 * c, 4, 2, 1, bias=False)",
                                       "nn.ConvTranspose2d(4 * c, 2 * c, 4, 2, 1)"),
     {"a3_dcgan_check": "parameters"}),
    ("a3_dcgan", _DCGAN_SOURCE.replace("return self.net(x).flatten()", "return self.net(x)"),
     {"a3_dcgan_check": "one logit each", "a3_dcgan_more": "to one logit each"}),
]


@pytest.mark.parametrize("exercise, wrong, expected", MISTAKES, ids=[f"{m[0]}-{i}" for i, m in enumerate(MISTAKES)])
def test_checks_reject_classic_mistakes_with_a_hint_that_names_them(exercise, wrong, expected):
    outcome = run_inprocess(SOLUTION, replace={exercise: wrong})
    for gid, text in expected.items():
        err = outcome[gid]
        assert err is not None, f"{gid} passes the wrong answer:\n{wrong}"
        assert isinstance(err, AssertionError), (gid, repr(err))
        assert text in str(err), f"{gid}: expected the hint {text!r} in:\n{err}"
    # the hint comes from the VISIBLE part: the same in the student's assignment
    visible = run_inprocess(ASSIGNMENT, replace={exercise: wrong, **{
        e: src for e, src in _solution_sources().items() if e != exercise}})
    for gid, text in expected.items():
        assert visible[gid] is not None and text in str(visible[gid]), (gid, str(visible[gid]))
    # a mistake in one exercise never costs points in another
    others = {gid: err for gid, err in outcome.items() if gid not in OWNER[exercise]}
    assert all(err is None for err in others.values()), {g: str(e) for g, e in others.items() if e}


def _solution_sources() -> dict[str, str]:
    return {authoring.nbgrader_meta(c)["grade_id"]: c.source for c in DCGAN_SOLUTION.cells
            if authoring.is_solution_cell(c)}


def test_the_reference_is_back_after_a_check_swapped_it_out():
    from course_lib.models import gan
    from course_lib.theory import gan as theory

    before = (gan.discriminator_loss, gan.training_step, theory.jensen_shannon, theory.optimal_discriminator)
    run_inprocess(SOLUTION, replace={"a3_jsd": "def jensen_shannon(p, q):\n    return theory.jensen_shannon(p, q)"})
    assert (gan.discriminator_loss, gan.training_step, theory.jensen_shannon, theory.optimal_discriminator) == before


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


def test_every_check_is_shown_to_catch_a_named_mistake():
    assert set(WRONG_STUBS) == set(EXERCISES)
    assert checks_without_a_named_mistake(CHECK_IDS, MISTAKES) == []
