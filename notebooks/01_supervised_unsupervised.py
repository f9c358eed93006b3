# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/deep-generative-course/course/blob/main/notebooks/01_supervised_unsupervised.ipynb)
#
# # 01 · Supervised vs unsupervised learning; discriminative vs generative models
#
# Lecture 1 starts from two questions.
#
# 1. **What do we learn from?** Pairs $(x, y)$ of an input and its label (*supervised*
#    learning), or inputs $x$ alone (*unsupervised* learning)?
# 2. **What does the model describe?** Only how labels depend on inputs, $p(y \mid x)$
#    (*discriminative*), or the inputs themselves, $p(x)$ (*generative*), or inputs given
#    a label, $p(x \mid y)$ (*conditional generative*)?
#
# We answer both on the same 28×28 digits, with real models you train here:
#
# | section | what you see |
# |---|---|
# | 1 | supervised learning: a classifier $x \to y$, its accuracy and its mistakes |
# | 2 | unsupervised learning on the same digits without labels: clustering, a 2-D map, learned features, a density model $p(x)$ |
# | 3 | discriminative, generative and conditional generative models, tied by Bayes' rule in both directions, computed |
# | 4 | the key point: a classifier has to answer even for nonsense; a density model can say "this is not a digit" |
# | 5 | an explorer to try it yourself |

# %%
# Setup, the same first cell in every notebook of the course.
# On Colab it installs the course package (Colab's own torch is kept); on your own
# machine `make lab` or `pip install -e .` has installed it already.
import sys

if "google.colab" in sys.modules:
    import subprocess
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet",
                    "course-lib @ git+https://github.com/deep-generative-course/course@main"], check=True)
try:
    import course_lib
except ModuleNotFoundError:  # a clone of the course opened without installing it
    sys.path.insert(0, "..")
    import course_lib

# %%
import math

import torch
from IPython.display import Markdown
from torch.utils.data import DataLoader

from course_lib import data, runtime, train, viz

env = runtime.setup(seed=0)
profile = env.profile

# %% [markdown]
# ## 0. The data, binarised once
#
# Every model in this notebook sees *exactly the same* inputs: MNIST digits made binary by
# static stochastic binarisation (notebook 00): each pixel is 1 with probability equal to
# its grey level, drawn once with a fixed seed. Binary pixels let us write down an exact
# probability for a whole image in section 2.
#
# We train on at most 20,000 digits: enough for every model here, and it keeps the notebook
# to a couple of minutes on a laptop CPU when the full 60,000 are available. (Offline, the
# course has 4,500 training digits; the conclusions are the same.)

# %%
train_digits = data.load_mnist("train", limit=profile.choose(full=20_000, fast=2000))
test_digits = data.load_mnist("test", verbose=False)
x_train = data.binarize(train_digits.images, seed=0)   # (N, 1, 28, 28), in {0, 1}
x_test = data.binarize(test_digits.images, seed=1)
y_train, y_test = train_digits.labels, test_digits.labels
D = 28 * 28
print(f"{len(x_train)} training and {len(x_test)} test digits, {D} binary pixels each")
viz.show_images(x_test[:16], nrow=16, labels=y_test[:16].tolist(), title="Binarised test digits (label in red)")

# %% [markdown]
# ## 1. Supervised learning: learn a function $x \to y$
#
# The data are pairs $(x, y)$: an image and the digit it shows. Classification is the
# textbook case; regression, object detection, semantic segmentation and image captioning
# are the same idea with other kinds of $y$. Labels cost human effort, which is why the
# unlabeled kind of learning in section 2 matters so much.
#
# Our classifier is a small two-layer network (`course_lib.models.classifier`) whose last
# layer is a softmax over the 10 digits: it outputs $p(y \mid x)$. Training minimises the
# average $-\log p(y \mid x)$ over the training pairs: it picks the parameters under which
# the observed labels are most probable, **maximum likelihood**, the training principle of
# this whole course (here for a conditional distribution; from section 2.4 on for $p(x)$).

# %%
from course_lib.models import classifier as clf

classifier = clf.digit_classifier(hidden=256).to(env.device)
loader = DataLoader(torch.utils.data.TensorDataset(x_train, y_train), batch_size=64, shuffle=True)
optimizer = torch.optim.Adam(classifier.parameters(), lr=1e-3)
history = train.fit(classifier, loader, clf.cross_entropy_loss, optimizer,
                    epochs=profile.choose(full=20, fast=3), desc="classifier", verbose=False)

p_y_given_x = clf.predict_proba(classifier, x_test)            # (N_test, 10)
predicted = p_y_given_x.argmax(dim=1)
classifier_error = (predicted != y_test).float().mean().item()
runtime.report("classifier test error rate", classifier_error)
assert torch.allclose(p_y_given_x.sum(dim=1), torch.ones(len(x_test)), atol=1e-5)   # a distribution over labels
assert classifier_error < 0.2, "the classifier should get more than 80% of the test digits right"

# %% [markdown]
# Accuracy is one number; the **confusion matrix** shows *which* digits get mixed up.
# Row $i$, column $j$ counts test images of digit $i$ that the classifier called $j$;
# a perfect classifier has numbers on the diagonal only.
#
# **Predict, then run.** Which pairs of digits will the classifier confuse most often?

# %%
confusion = clf.confusion_matrix(y_test, predicted)
viz.confusion_matrix_figure(confusion, title=f"Classifier on test digits: error rate {classifier_error:.1%}")

# %% [markdown]
# ## 2. Unsupervised learning: the same digits, without labels
#
# Now we hide $y$. With inputs alone we can still learn the *structure* of the data.
# The lecture lists four kinds of task; here is a short live demo of each. Labels are
# used below only to *judge* what was found, never to find it.
#
# ### 2.1 Clustering: k-means
#
# k-means splits the images into $k$ groups so that each image is close to its group's
# centre. We ask for 10 groups and then check how well they match the hidden digits:
#
# * **purity**: label each cluster with its most common digit; the share of images that
#   carry their cluster's digit (1 = every cluster is one digit);
# * **adjusted Rand index** (ARI): agreement between two partitions, 0 for chance, 1 for identical.

# %%
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score

kmeans = KMeans(n_clusters=10, n_init=profile.choose(full=10, fast=1), random_state=0)
clusters = torch.as_tensor(kmeans.fit_predict(x_train.flatten(1).numpy()))

table = clf.confusion_matrix(clusters, y_train)                # rows: cluster, columns: digit
purity = (table.max(dim=1).values.sum() / len(y_train)).item()
ari = adjusted_rand_score(y_train.numpy(), clusters.numpy())
runtime.report("k-means purity (10 clusters)", purity)
runtime.report("k-means adjusted Rand index", ari)
assert ari > 0.1, "k-means finds the digits far better than chance (ARI 0), without a single label"
chance_purity = y_train.bincount().max().item() / len(y_train)    # every image in one cluster
assert purity > chance_purity + 0.1, "each cluster is dominated by one digit"

# %%
centres = torch.as_tensor(kmeans.cluster_centers_, dtype=torch.float32).reshape(10, 1, 28, 28)
majority = table.argmax(dim=1).tolist()
viz.show_images(centres, nrow=10, labels=majority,
                title="The 10 k-means centres (red: the most common digit in each cluster)")

# %% [markdown]
# Without seeing one label, k-means finds clusters that are mostly single digits; some
# digits share a cluster (4 and 9 often do) and some digits get split (two ways of writing
# a 1 or a 7). The centres are averages, which is why they look blurred.
#
# ### 2.2 Dimensionality reduction: a 2-D map of 784-D images
#
# PCA keeps the two directions in which the images vary most: a linear projection.
# t-SNE instead places similar images near each other on a plane, a non-linear map. Its
# exact version compares every pair of points (quadratic in their number); scikit-learn's
# default Barnes–Hut approximation costs about $N \log N$, still seconds for a few thousand
# digits on a CPU, so we map a subset.

# %%
pixels = x_test.flatten(1)
centred = pixels - pixels.mean(dim=0)
_, _, components = torch.pca_lowrank(centred, q=2, center=False)
viz.latent_scatter(centred @ components, y_test, title="PCA: test digits on 2 principal components",
                   axis_labels=("principal component 1", "principal component 2"))

# %%
from sklearn.manifold import TSNE

n_map = profile.choose(full=1500, fast=300)
subset = x_train[:n_map].flatten(1).numpy()
tsne = TSNE(n_components=2, perplexity=30, init="pca", random_state=0,
            max_iter=profile.choose(full=1000, fast=250))
tsne_map = tsne.fit_transform(subset)
viz.latent_scatter(torch.as_tensor(tsne_map), y_train[:n_map],
                   title=f"t-SNE of {n_map} training digits (colour = label, unused by t-SNE)",
                   axis_labels=("t-SNE coordinate 1 (only distances matter)", "t-SNE coordinate 2"))

# %% [markdown]
# The colours, which neither method saw, form islands in the t-SNE map: the unlabeled
# images carry the digit identity in their structure.
#
# ### 2.3 Feature learning
#
# Features learned from unlabeled images can let a classifier get by with fewer labels. A
# quick test with the linear features of PCA: we learn 30 directions from *all* training
# images without their labels, then train a logistic regression on a few labelled images,
# once on the raw pixels and once on the 30 learned features, and compare test error rates.
# Each count of labels is averaged over a few random draws of the labelled images.
#
# **Predict, then run.** With 20 labels, will 30 unsupervised features cut the error rate
# by half, by a little, or not at all? And with 500 labels?

# %%
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression

pca = PCA(n_components=30, random_state=0).fit(x_train.flatten(1).numpy())   # no labels used
raw_test, pca_test = x_test.flatten(1).numpy(), pca.transform(x_test.flatten(1).numpy())
label_counts = profile.choose(full=(10, 20, 50, 100, 500), fast=(20, 100))
draws = profile.choose(full=3, fast=1)
feature_rows, gains = [], []
for few in label_counts:
    errors = {"raw pixels": 0.0, "30 PCA features": 0.0}
    for draw in range(draws):
        chosen = torch.randperm(len(x_train), generator=torch.Generator().manual_seed(draw))[:few]
        raw, labels = x_train[chosen].flatten(1).numpy(), y_train[chosen].numpy()
        on_raw = LogisticRegression(max_iter=3000).fit(raw, labels)
        on_pca = LogisticRegression(max_iter=3000).fit(pca.transform(raw), labels)
        errors["raw pixels"] += (1 - on_raw.score(raw_test, y_test.numpy())) / draws
        errors["30 PCA features"] += (1 - on_pca.score(pca_test, y_test.numpy())) / draws
    gains.append(errors["raw pixels"] - errors["30 PCA features"])
    feature_rows.append({"labelled images": few, **errors, "gain (points)": 100 * gains[-1]})
best = max(range(len(gains)), key=gains.__getitem__)
runtime.report(f"PCA features: largest error-rate gain ({label_counts[best]} labels)", 100 * gains[best],
               "points")
assert max(gains) < 0.10     # "barely help", the claim below
Markdown(viz.records_table(feature_rows, formats={"raw pixels": ".1%", "30 PCA features": ".1%",
                                                  "gain (points)": "+.1f"}, align="rrrr"))

# %% [markdown]
# PCA's features barely help: a few points of error rate at best (the largest gain is
# reported above), with tens of labels, and less as the labels grow (in the full profile
# they even cost a little at 500 labels). Its 30 directions are linear and
# were chosen to keep pixel variance, not to separate digits. PCA is the simplest feature
# learner; [notebook 04](04_autoencoders.ipynb) builds its non-linear successor, the **autoencoder**: an
# encoder squeezes the image through a narrow code, a decoder reconstructs the image from
# it, and the code becomes a feature vector learned without labels, which should do better.
# (A discriminative network learns features too, its hidden layer, but *with* labels.)
#
# ### 2.4 Density estimation: a model of $p(x)$
#
# The most ambitious unsupervised task, and the subject of this course: learn a
# probability distribution $p_\text{model}(x)$ that is close to $p_\text{data}(x)$. A
# density model can do two things a classifier cannot: **evaluate** how probable an image
# is, and **sample** new images.
#
# Our first density model is a **mixture of Bernoullis**. It has $K$ prototype images
# $\mu_k$ of pixel probabilities and weights $\pi_k$; to make an image, pick a prototype
# $k$ with probability $\pi_k$, then switch each pixel on independently with probability
# $\mu_{kd}$:
#
# $$p(x) = \sum_{k=1}^K \pi_k \prod_{d=1}^{784} \mu_{kd}^{x_d}(1-\mu_{kd})^{1-x_d}.$$
#
# Every term can be computed, so $\log p(x)$ is **exact**. We fit it by maximum likelihood
# with EM (expectation-maximisation), which alternates two steps:
#
# * **E-step**: how responsible is prototype $k$ for image $n$? By Bayes' rule,
#   $r_{nk} = p(k \mid x_n) = \pi_k\, p(x_n \mid k) / \sum_j \pi_j\, p(x_n \mid j)$;
# * **M-step**: re-estimate from those shares: $\pi_k = \frac1N \sum_n r_{nk}$ and
#   $\mu_{kd} = \big(\sum_n r_{nk} x_{nd} + \alpha\big) / \big(\sum_n r_{nk} + 2\alpha\big)$.
#
# The $\alpha$ (here 1) adds pseudo-counts of one "on" and one "off" pixel per prototype, so
# that no $\mu_{kd}$ is ever exactly 0 or 1 (a test digit with one unexpected pixel would
# otherwise get $\log p(x) = -\infty$). Here are three EM steps written out:

# %%
from course_lib.models.bernoulli_mixture import BernoulliMixture

K = profile.choose(full=50, fast=20)
alpha = 1.0
flat = x_train.flatten(1).double()                                   # (N, 784)
weights, means = BernoulliMixture(K, smoothing=alpha, seed=0).initial_parameters(x_train)   # (K,), (K, 784)
for step in range(3):
    log_joint = flat @ means.log().T + (1 - flat) @ (1 - means).log().T + weights.log()    # (N, K)
    print(f"before step {step + 1}: mean log p(x) = {torch.logsumexp(log_joint, dim=1).mean().item():.2f} nats")
    resp = torch.softmax(log_joint, dim=1)                           # E-step: r_nk, rows sum to 1
    weights = resp.mean(dim=0)                                       # M-step
    means = (resp.T @ flat + alpha) / (resp.sum(dim=0)[:, None] + 2 * alpha)

# %% [markdown]
# From now on we use the tested `course_lib.models.bernoulli_mixture.BernoulliMixture`,
# which runs exactly these steps from the same start (the cell checks it) and stops when
# they no longer help.
#
# **Predict, then run.** EM's guarantee is that its objective never goes down. With the
# pseudo-counts, is that objective the log-likelihood?

# %%
same_start = BernoulliMixture(K, smoothing=alpha, seed=0).fit(x_train, iterations=3, tol=-math.inf)
assert torch.allclose(same_start.means, means) and torch.allclose(same_start.weights, weights)

mixture = BernoulliMixture(n_components=K, smoothing=alpha, seed=0)
mixture.fit(x_train, iterations=profile.choose(full=100, fast=20))
objective = [h["objective"] for h in mixture.history]
log_likelihood = [h["log_likelihood"] for h in mixture.history]
print(f"EM ran {len(mixture.history)} iterations; MAP objective {objective[0]:.2f} -> {objective[-1]:.2f}, "
      f"log-likelihood {log_likelihood[0]:.2f} -> {log_likelihood[-1]:.2f} nats per image")
dips = sum(b < a for a, b in zip(log_likelihood, log_likelihood[1:]))
print(f"steps where the log-likelihood alone went down: {dips} of {len(log_likelihood) - 1}")
assert all(b >= a - 1e-9 for a, b in zip(objective, objective[1:])), "MAP-EM never decreases its objective"

# %%
from course_lib.viz import CourseFigure

fig = CourseFigure(figsize=(6.5, 3.2))
ax = fig.add_subplot(1, 1, 1)
ax.plot(objective, marker=".", label="MAP objective (never decreases)")
ax.plot(log_likelihood, marker=".", alpha=0.6, label="log-likelihood alone")
ax.set_xlabel("EM iteration")
ax.set_ylabel("nats per training image")
ax.legend()
ax.grid(alpha=0.3)
fig.tight_layout()
fig

# %% [markdown]
# No. The pseudo-counts act as a prior on every $\mu_{kd}$ (a Beta distribution), so this
# is **MAP-EM**: it maximises the log-likelihood *plus* the log prior,
# $\alpha \sum_{k,d} [\log \mu_{kd} + \log (1 - \mu_{kd})]$, per image. That sum, the MAP
# objective, is what never decreases (the cell above asserts it); the log-likelihood alone
# has no such guarantee (the cell above counts the steps where it went down). The gap
# between the two curves is the prior's penalty. With $\alpha = 0$ both are the same and
# EM is plain maximum likelihood.
#
# **How good is it?** The test log-likelihood, the average $\log p(x)$ of digits the model
# never saw, is the honest score of a density model. It is reported in nats per image
# (natural log) and in **bits per dimension**, $-\log_2 p(x) / 784$: the number of bits
# per pixel a compressor built on the model would need (`course_lib.likelihood`). Two
# baselines put it in context: a model that flips a fair coin for every pixel costs exactly
# 1 bit/dim, and a single prototype ($K=1$: independent pixels, notebook 00's model) is the
# best model that ignores how pixels go together.

# %%
from course_lib.likelihood import bits_per_dim

test_log_p = mixture.log_prob(x_test)
test_nats = -test_log_p.mean().item()
test_bits = bits_per_dim(test_log_p, D)
independent = BernoulliMixture(n_components=1, smoothing=1.0).fit(x_train, iterations=2)
independent_bits = bits_per_dim(independent.log_prob(x_test), D)
runtime.report(f"mixture of {K} Bernoullis: test NLL", test_nats, "nats per image")
runtime.report(f"mixture of {K} Bernoullis: test bits/dim", test_bits, "bits/dim")
runtime.report("independent pixels (K=1): test bits/dim", independent_bits, "bits/dim")
assert test_bits < independent_bits < 1.0, "the mixture beats independent pixels, which beat fair coins (1 bit/dim)"

# %% [markdown]
# A density model can also **sample**: pick a prototype, then flip the pixel coins.
#
# **Predict, then run.** Will the samples look like the prototypes, cleaner, or noisier?

# %%
samples = mixture.sample(32, seed=0)
viz.show_images(torch.cat([mixture.prototypes()[:16], samples[:16]]), nrow=16,
                title=f"Prototypes (top) and samples (bottom) of the {K}-component mixture")

# %% [markdown]
# The samples are recognisable but speckled: given the prototype, pixels are independent,
# so nothing keeps a stroke connected. The models of later notebooks fix exactly this:
# autoregressive models make each pixel depend on the previous ones, VAEs and GANs use a
# rich latent code and a network to turn it into an image.
#
# ## 3. Discriminative, generative, conditional generative: tied by Bayes' rule
#
# | model | learns | can do |
# |---|---|---|
# | discriminative | $p(y \mid x)$ | assign a label to an input; learn features *with* labels (its hidden layers) |
# | generative | $p(x)$ | detect outliers, learn features without labels, sample new data |
# | conditional generative | $p(x \mid y)$ | assign labels *while rejecting outliers*, generate new data of a chosen label |
#
# All three are normalised, and normalisation makes things **compete for probability
# mass**. In $p(y \mid x)$ the ten *labels* compete: for any input the ten numbers must sum
# to 1, so the classifier has to hand its probability to some digit even for nonsense. In
# $p(x)$ the *images* compete: every possible 28×28 image gets a share of one unit of
# probability, so a model that gives more to digits must take it from other images. Deciding
# which pixel patterns deserve it, without labels, takes a deep understanding of images.
#
# They are not separate worlds. Bayes' rule builds a classifier out of a conditional
# generative model and a prior over labels $p(y)$:
#
# $$p(y \mid x) = \frac{p(x \mid y)\,p(y)}{p(x)}, \qquad p(x) = \sum_{y'} p(x \mid y')\,p(y').$$
#
# So from $p(x \mid y)$ and $p(y)$ we get **both** a classifier and a density. We build
# $p(x \mid y)$ as one Bernoulli mixture per digit, trained on that digit's images only,
# and $p(y)$ from the label counts (`course_lib.bayes.GenerativeClassifier`).

# %%
from course_lib import bayes
from course_lib.bayes import GenerativeClassifier

generative = GenerativeClassifier(n_components=profile.choose(full=10, fast=5), smoothing=1.0).fit(
    x_train, y_train, iterations=profile.choose(full=50, fast=15))

# %% [markdown]
# **Bayes' rule by hand, for one test image**, in log space: the product becomes a sum and
# the sum over labels becomes a `logsumexp`, which subtracts the largest term before
# exponentiating.

# %%
x = x_test[:1]
log_p_x_given_y = generative.log_likelihood(x)[0]                  # (10,)  log p(x | y), float64
log_p_y = generative.log_prior                                      # (10,)  log p(y)
log_joint = log_p_x_given_y + log_p_y                               # log p(x, y)
log_p_x = torch.logsumexp(log_joint, dim=0)                         # log p(x) = log sum_y p(x, y)
posterior_by_hand = torch.exp(log_joint - log_p_x)                  # p(y | x)

print("log p(x | y):", [round(v, 1) for v in log_p_x_given_y.tolist()])
print(f"log p(x) = {log_p_x.item():.2f} nats; p(y | x) sums to {posterior_by_hand.sum().item():.6f}")
print(f"true label {y_test[0].item()}, Bayes says {posterior_by_hand.argmax().item()}, "
      f"the discriminative classifier says {p_y_given_x[0].argmax().item()}")
assert abs(posterior_by_hand.sum().item() - 1) < 1e-12
assert torch.allclose(posterior_by_hand, generative.predict_proba(x)[0])   # the tested versions agree
assert torch.allclose(posterior_by_hand.log(), bayes.log_posterior(log_p_x_given_y[None], log_p_y)[0])

# %% [markdown]
# **Why logs?** The probabilities themselves are tiny. Whether they can even be stored
# depends on the float type: float32 (PyTorch's default) cannot go below about $e^{-103}$
# and turns anything smaller into 0; float64 reaches about $e^{-745}$.

# %%
print("exp(log p(x | y)) in float32:", [f"{v:.1e}" for v in torch.exp(log_p_x_given_y.float()).tolist()[:3]], "...")
print("exp(log p(x | y)) in float64:", [f"{v:.1e}" for v in torch.exp(log_p_x_given_y).tolist()[:3]], "...")
print("float64: exp(-745) =", torch.exp(torch.tensor(-745.0, dtype=torch.float64)).item(),
      "  exp(-746) =", torch.exp(torch.tensor(-746.0, dtype=torch.float64)).item())
best, runner_up = log_p_x_given_y.topk(2).values.tolist()
spread = best - log_p_x_given_y.min().item()
print(f"the best label beats the runner-up by {best - runner_up:.0f} nats and the worst by {spread:.0f} nats")
assert torch.exp(log_p_x_given_y.float()).eq(0).any() and torch.exp(log_p_x_given_y).gt(0).all()
assert best - runner_up > 50 and spread > 100

# %% [markdown]
# So for this 784-pixel digit float64 would survive, and float32 would not. The real reasons
# to stay in log space are elsewhere:
#
# * **dimension**: $\log p(x)$ is a sum over pixels, so it grows with the image. A 32×32
#   colour image (CIFAR-10, 3,072 values) at about 3 bits/dim (PixelCNN++ reports 2.92;
#   Salimans et al., 2017) costs $3072 \times 3 \times \ln 2 \approx 6{,}400$ nats:
#   $e^{-6400}$ is 0 even in float64;
# * **the wrong labels**: the other classes sit tens to hundreds of nats below the best
#   one (printed above). In probability space, as soon as the best term underflows, every
#   term is 0 and $p(y \mid x) = 0/0$; `logsumexp` takes the largest term out first, so
#   the posterior comes out right however small the terms are;
# * **speed and stability**: a product of 784 factors becomes a sum (a matrix product on
#   the GPU), and gradients of sums of logs stay well scaled.
#
# From now on `course_lib.bayes.log_posterior` does this computation (A0 asks you to write it).
#
# Now on the whole test set: how good is the classifier we *derived* by Bayes' rule, next
# to the one trained directly for $p(y \mid x)$, and how often do they agree?

# %%
bayes_predicted = generative.predict(x_test)
bayes_error = (bayes_predicted != y_test).float().mean().item()
agreement = (bayes_predicted == predicted).float().mean().item()
runtime.report("Bayes (generative) classifier test error rate", bayes_error)
runtime.report("agreement of the Bayes and discriminative classifiers", agreement)
print(f"error rates: discriminative {classifier_error:.1%}, generative by Bayes' rule {bayes_error:.1%}: "
      f"the generative one makes {bayes_error / classifier_error:.1f} times as many errors")
assert bayes_error < 0.3, "the Bayes classifier should get more than 70% of the test digits right"
viz.confusion_matrix_figure(clf.confusion_matrix(y_test, bayes_predicted),
                            title=f"Generative classifier by Bayes' rule: error rate {bayes_error:.1%}")

# %% [markdown]
# Compare error rates, not accuracies: 93% and 90% accuracy look close, yet 7% and 10% of
# errors mean that the second model makes 40% more mistakes; the printed ratio says it
# directly. The discriminative model spends all its capacity on the boundary between
# digits, the generative model on describing every pixel of every digit; with plenty of
# labelled data the discriminative one usually pulls ahead, with few labels the generative
# one often does better (Ng and Jordan, 2002). What the generative model buys with its extra effort is the
# rest of this notebook. First, it **generates data conditioned on a label**: samples of
# $p(x \mid y)$ for each digit.

# %%
conditional_samples = torch.cat([generative.sample(label, 4, seed=label) for label in range(10)])
viz.show_images(conditional_samples.reshape(10, 4, 1, 28, 28).transpose(0, 1).reshape(40, 1, 28, 28),
                nrow=10, title="Samples of p(x | y), one column per label y = 0 ... 9")

# %% [markdown]
# ### Bayes' rule backwards: $p(x \mid y)$ from a classifier and a density
#
# The rule also runs the other way. Take the *discriminative* classifier $p(y \mid x)$ of
# section 1 and the *unconditional* mixture $p(x)$ of section 2.4, neither of which was
# built to generate a chosen digit:
#
# $$p(x \mid y) = \frac{p(y \mid x)\, p(x)}{p(y)} \;\propto\; p(y \mid x)\, p(x),
#   \qquad p(y) = \sum_x p(y \mid x)\, p(x) = \mathbb{E}_{x \sim p(x)}\big[p(y \mid x)\big].$$
#
# We cannot list the $2^{784}$ images to compute $p(y)$, but we can *sample* $p(x)$:
# draw a pool of images from the mixture, average the classifier's $p(y \mid x)$ over them
# for $p(y)$, and draw from the pool with probability proportional to $p(y \mid x)$ to get
# samples of $p(x \mid y)$ (importance resampling, `course_lib.bayes.resample_by_label`).
#
# **Predict, then run.** The mixture was fitted on digits in roughly equal numbers. What
# should the estimated $p(y)$ be close to?

# %%
pool = mixture.sample(profile.choose(full=20_000, fast=4000), seed=2)       # (S, 1, 28, 28) from p(x)
log_p_y_given_pool = clf.predict_proba(classifier, pool).double().log()      # (S, 10)
log_p_y_estimate = bayes.log_label_marginal(log_p_y_given_pool)             # (10,)
print("p(y) estimated from the pool:", [round(v, 3) for v in log_p_y_estimate.exp().tolist()])
print("label frequencies in training:", [round(v, 3) for v in (y_train.bincount() / len(y_train)).tolist()])
assert abs(log_p_y_estimate.exp().sum().item() - 1) < 1e-5     # a distribution (the classifier runs in float32)

backwards = torch.cat([bayes.resample_by_label(pool, log_p_y_given_pool[:, label], 4, seed=label)
                       for label in range(10)])
sizes = [bayes.effective_sample_size(log_p_y_given_pool[:, label]) for label in range(10)]
print(f"effective pool size per label: {min(sizes):.0f} to {max(sizes):.0f} of {len(pool)} images")
viz.show_images(backwards.reshape(10, 4, 1, 28, 28).transpose(0, 1).reshape(40, 1, 28, 28), nrow=10,
                title="p(x | y) from a classifier and an unconditional mixture, one column per label")

# %% [markdown]
# The estimate of $p(y)$ is near the label frequencies but not equal to them: it sees the
# digits through two imperfect models, the mixture's speckled samples and the classifier's
# reading of them. Each column holds mixture samples that the classifier calls that digit:
# a conditional generative model built from two models that were not conditional
# generative. The same formula also *scores* images: $\log p(x \mid y) = \log p(y \mid x) + \log p(x) - \log p(y)$
# (`course_lib.bayes.log_conditional`). On the test digits, with their true labels:

# %%
log_p_x_given_y_backwards = bayes.log_conditional(p_y_given_x.double().log(), mixture.log_prob(x_test),
                                                  log_p_y_estimate)          # (N_test, 10)
true_label = y_test[:, None]
backwards_bits = bits_per_dim(log_p_x_given_y_backwards.gather(1, true_label)[:, 0], D)
per_class_bits = bits_per_dim(generative.log_likelihood(x_test).gather(1, true_label)[:, 0], D)
runtime.report("p(x|y) from classifier + mixture: test bits/dim", backwards_bits, "bits/dim")
runtime.report("p(x|y) from one mixture per digit: test bits/dim", per_class_bits, "bits/dim")
assert max(backwards_bits, per_class_bits) < test_bits    # knowing the label makes a digit more predictable

# %% [markdown]
# Knowing the label helps either way: both conditional models give the test digits fewer
# bits/dim than the unconditional mixture (printed in section 2.4). The backwards one is
# normalised only up to the Monte Carlo error of its $p(y)$. Which of the two is
# better depends on the quality of the classifier and of the per-digit mixtures; the
# backwards one is only as good as the classifier's $p(y \mid x)$ on speckled mixture samples.
#
# ## 4. Unreasonable inputs: a classifier must answer, a density model can refuse
#
# A softmax always sums to 1: shown *anything*, a discriminative model must spread all its
# probability over the ten digits, and nothing in its training told it what to do with
# inputs unlike the digits. A density model instead tells us *how probable the input is*.
#
# Our gallery of unreasonable inputs (`course_lib.outliers`): binary noise with half the
# pixels on, noise with as much ink as a digit, a blank page, letters drawn with
# digit-like strokes (in grey, then binarised exactly like the digits), and inverted test
# digits.
#
# **Predict, then run.** Which of them will the mixture accept as digits? Think of the blank
# page in particular.

# %%
from course_lib import outliers

weird = outliers.unreasonable_inputs(x_test, n=50, seed=0)
gallery = torch.cat([images[:4] for images in weird.values()])
viz.show_images(gallery, nrow=len(gallery), title="Unreasonable inputs")

# %% [markdown]
# The rule for rejecting: take the log-likelihoods of the *training* digits under the
# density model, and reject any input below their 1st percentile. About 1% of training
# digits fall below it by construction; the question is what happens to test digits and to
# the unreasonable inputs. The conditional generative model gets its own threshold, the
# same way, from its $p(x) = \sum_y p(x \mid y)\,p(y)$.

# %%
threshold = outliers.rejection_threshold(mixture.log_prob(x_train), percentile=1.0)
bayes_threshold = outliers.rejection_threshold(generative.log_prob(x_train), percentile=1.0)
groups = {"test digits": x_test, **weird}

rows, log_p_of = [], {}
for name, images in groups.items():
    probs = clf.predict_proba(classifier, images)
    confidence = probs.max(dim=1).values
    log_p_of[name] = mixture.log_prob(images)
    rows.append({
        "input": name, "n": len(images),
        "classifier: mean max p(y|x)": confidence.mean().item(),
        "classifier: share answering with p > 0.9": (confidence > 0.9).float().mean().item(),
        "classifier: most common answer": torch.mode(probs.argmax(dim=1)).values.item(),
        "mixture: mean log p(x) [nats]": log_p_of[name].mean().item(),
        "mixture: rejected": outliers.rejection_rate(log_p_of[name], threshold),
        "conditional generative: rejected": outliers.rejection_rate(generative.log_prob(images),
                                                                    bayes_threshold),
    })
    runtime.report(f"rejected by the mixture: {name}", rows[-1]["mixture: rejected"])
print(f"Rejection threshold: log p(x) < {threshold:.1f} nats (1st percentile of training digits)")
Markdown(viz.records_table(rows, formats={
    "classifier: mean max p(y|x)": ".2f", "classifier: share answering with p > 0.9": ".0%",
    "mixture: mean log p(x) [nats]": ".0f", "mixture: rejected": ".0%",
    "conditional generative: rejected": ".0%"}))

# %%
viz.log_likelihood_strips({"training digits": mixture.log_prob(x_train), **log_p_of}, threshold,
                          title="Where each kind of input lands under the mixture's log p(x)")

# %%
digit_log_p = log_p_of["test digits"]
noise_names = [name for name in weird if name.startswith("noise")]
best_noise = max(log_p_of[name].max().item() for name in noise_names)
print(f"test digits: median log p(x) {digit_log_p.median().item():.0f}, worst {digit_log_p.min().item():.0f} nats")
print(f"noise: best {best_noise:.0f} nats, {digit_log_p.median().item() - best_noise:.0f} nats below "
      f"the median digit; worst digit minus best noise: {digit_log_p.min().item() - best_noise:+.1f} nats; "
      f"inverted digits: best {log_p_of['inverted digits'].max().item():.0f} nats")
print(f"blank page: {log_p_of['blank page'].item():.0f} nats, above "
      f"{(digit_log_p < log_p_of['blank page']).float().mean().item():.0%} of the test digits")
assert all(outliers.rejection_rate(log_p_of[name], threshold) == 1.0 for name in noise_names)
assert outliers.rejection_rate(log_p_of["inverted digits"], threshold) == 1.0
assert outliers.rejection_rate(digit_log_p, threshold) < 0.05
assert digit_log_p.median().item() - best_noise > 100          # "hundreds of nats below typical digits"
assert log_p_of["blank page"].item() > digit_log_p.median().item()

# %% [markdown]
# Read the table and the strips row by row.
#
# * **Test digits**: almost all accepted (a few percent rejected at most, near the 1% of
#   training digits the threshold rejects by design), and mostly classified right.
# * **Noise and inverted digits**: the classifier still names a digit for every one of
#   them, some with high confidence (its columns); nothing in its output says "not a digit".
#   The density model puts them far below *typical* digits: the best noise image scores
#   over a hundred nats below the median test digit (printed above), a factor of $e^{-100}$
#   or less in probability, and every noise image and every inverted digit is rejected.
#   The margin to the *worst* test digit is much smaller, and can even be negative: a
#   badly written digit can score as low as the best noise (printed above).
# * **Letters**: strokes of the right thickness, but in the wrong places. They land at the
#   low edge of the digits or below: a mixture of 784 independent pixels only knows "blobs
#   of ink here", so a letter that overlaps a digit's blob can look plausible to it; the
#   stronger models of later notebooks separate them better.
# * **The blank page** is the surprise: the density model likes it *more* than most digits.
#   Images compete for probability mass, and an empty image wins a large share: most pixels
#   of every digit are 0, so "all pixels 0" is the single most predictable pattern, and
#   likelihood measures how predictable an input is, not whether it is a digit. This is a
#   real, well-documented weakness of likelihood-based outlier detection (Nalisnick et al.,
#   "Do deep generative models know what they don't know?", 2019): deep models rate simple
#   images too highly as well. A common fix rejects inputs that are *atypically likely* as
#   well as atypically unlikely, or compares with a second, simpler model.
#
# The conditional generative model does both jobs at once: its $p(y \mid x)$ assigns a
# label, and its $p(x)$ rejects inputs that match no label.
#
# ## 5. Try it yourself
#
# Pick an input and flip a growing fraction of its pixels. Watch the classifier's
# $p(y \mid x)$ (blue), the generative classifier's $p(y \mid x)$ (green) and the mixture's
# $\log p(x)$ against the training digits (grey) and the threshold (red). How much noise
# does it take before the digit is rejected? When does the classifier stop being sure?

# %%
from course_lib.widgets import OutlierExplorer

explorer_inputs = {f"test digit {i} (a {y_test[i].item()})": x_test[i] for i in range(6)}
explorer_inputs.update({name: images[0] for name, images in weird.items()})
explorer = OutlierExplorer(
    explorer_inputs,
    classify=lambda x: clf.predict_proba(classifier, x),
    log_density=mixture.log_prob,
    bayes=generative.predict_proba,
    threshold=threshold,
    reference=mixture.log_prob(x_train))
explorer.show();

# %% [markdown]
# Without a live kernel (for example on a rendered page) the sliders do nothing, so here is
# the same view for one test digit, clean and with 15% of its pixels flipped.

# %%
fig = explorer.update(list(explorer_inputs)[0], 0.0)
fig

# %%
explorer.update(list(explorer_inputs)[0], 0.15)

# %% [markdown]
# ## 6. The first row of the course's comparison table
#
# Notebook 02 sorts generative models into a family tree and keeps a table comparing the
# families the course builds; each notebook fills its row with numbers measured here.
# The mixture of Bernoullis is the first: its test likelihood and how long it takes to
# draw 16 digits (one parallel step: pick 16 prototypes, flip 16 × 784 coins).

# %%
import time

from course_lib import taxonomy

started = time.perf_counter()
mixture.sample(16, seed=1)              # on the CPU: nothing to wait for (runtime.synchronize)
sampling_ms = (time.perf_counter() - started) * 1000
runtime.report("mixture: time to sample 16 digits", sampling_ms, "ms")
Markdown(taxonomy.comparison_table({
    ("mixture of Bernoullis", "test NLL (bits/dim)"): f"{test_bits:.3f} (K = {K})",
    ("mixture of Bernoullis", "time to sample 16 digits"): f"{sampling_ms:.1f} ms (CPU)"}))

# %% [markdown]
# ## Summary
#
# * Supervised learning maps $x \to y$ from labelled pairs; unsupervised learning finds
#   structure in $x$ alone: clusters, low-dimensional maps, features, and a density.
# * A density model with an exact $\log p(x)$ can be scored on test data (nats, bits/dim),
#   sampled from, and used to reject inputs. It is fitted by maximum likelihood (EM; with
#   pseudo-counts, MAP-EM, whose objective never decreases).
# * Bayes' rule turns a conditional generative model $p(x \mid y)$ and $p(y)$ into a
#   classifier $p(y \mid x)$ *and* a density $p(x)$; backwards, a classifier and a density
#   $p(x)$ give a conditional generative model $p(x \mid y) \propto p(y \mid x)\,p(x)$.
#   Compute in log space, with `logsumexp`.
# * A discriminative model must spread its probability over the labels for any input; a
#   density model's images compete for probability mass, so it can refuse noise and
#   inverted digits, though likelihood alone has blind spots (the blank page).
#
# Next, [notebook 02](02_taxonomy.ipynb) draws the map of generative models and makes the chain rule
# $p(x) = \prod_i p(x_i \mid x_{<i})$ exact on tiny images.
