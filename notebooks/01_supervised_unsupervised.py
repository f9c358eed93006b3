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
# | 3 | discriminative, generative and conditional generative models, tied by Bayes' rule, computed |
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
# layer is a softmax over the 10 digits: it outputs $p(y \mid x)$. Training minimises
# $-\log p(y \mid x)$ on the training pairs.

# %%
from course_lib.models import classifier as clf

classifier = clf.digit_classifier(hidden=256).to(env.device)
loader = DataLoader(torch.utils.data.TensorDataset(x_train, y_train), batch_size=64, shuffle=True)
optimizer = torch.optim.Adam(classifier.parameters(), lr=1e-3)
history = train.fit(classifier, loader, clf.cross_entropy_loss, optimizer,
                    epochs=profile.choose(full=20, fast=3), desc="classifier", verbose=False)

p_y_given_x = clf.predict_proba(classifier, x_test)            # (N_test, 10)
predicted = p_y_given_x.argmax(dim=1)
classifier_accuracy = (predicted == y_test).float().mean().item()
runtime.report("classifier test accuracy", classifier_accuracy)

# %% [markdown]
# Accuracy is one number; the **confusion matrix** shows *which* digits get mixed up.
# Row $i$, column $j$ counts test images of digit $i$ that the classifier called $j$;
# a perfect classifier has numbers on the diagonal only.

# %%
confusion = clf.confusion_matrix(y_test, predicted)
viz.confusion_matrix_figure(confusion, title=f"Classifier on test digits: accuracy {classifier_accuracy:.1%}")

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
# t-SNE instead places similar images near each other on a plane, a non-linear map.
# It is slow (quadratic in the number of points), so we run it on a subset.

# %%
pixels = x_test.flatten(1)
centred = pixels - pixels.mean(dim=0)
_, _, components = torch.pca_lowrank(centred, q=2, center=False)
viz.latent_scatter(centred @ components, y_test, title="PCA: test digits on 2 principal components")

# %%
from sklearn.manifold import TSNE

n_map = profile.choose(full=1500, fast=300)
subset = x_train[:n_map].flatten(1).numpy()
tsne = TSNE(n_components=2, perplexity=30, init="pca", random_state=0,
            max_iter=profile.choose(full=1000, fast=250))
tsne_map = tsne.fit_transform(subset)
viz.latent_scatter(torch.as_tensor(tsne_map), y_train[:n_map],
                   title=f"t-SNE of {n_map} training digits (colour = label, unused by t-SNE)")

# %% [markdown]
# The colours, which neither method saw, form islands in the t-SNE map: the unlabeled
# images carry the digit identity in their structure.
#
# ### 2.3 Feature learning
#
# Features learned from unlabeled images can let a classifier get by with fewer labels. A
# quick taste with the linear features of PCA: we learn 30 directions from *all* training
# images without their labels, then train a logistic regression on only the first 20, 50
# or 100 labelled images, once on the raw pixels and once on the 30 learned features.

# %%
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression

pca = PCA(n_components=30, random_state=0).fit(x_train.flatten(1).numpy())   # no labels used
raw_test, pca_test = x_test.flatten(1).numpy(), pca.transform(x_test.flatten(1).numpy())
for few in (20, 50, 100):
    raw = x_train[:few].flatten(1).numpy()
    on_raw = LogisticRegression(max_iter=3000).fit(raw, y_train[:few].numpy())
    on_pca = LogisticRegression(max_iter=3000).fit(pca.transform(raw), y_train[:few].numpy())
    print(f"{few:3d} labels: raw pixels {on_raw.score(raw_test, y_test.numpy()):.1%}   "
          f"30 features learned without labels {on_pca.score(pca_test, y_test.numpy()):.1%}")

# %% [markdown]
# The gain from PCA is small, a few points at best and sometimes none: its 30 directions are
# linear and were chosen to keep pixel variance, not to separate digits. PCA is the simplest
# feature learner. Notebook 04 builds its non-linear successor, the
# **autoencoder**: an encoder squeezes the image through a narrow code, a decoder
# reconstructs the image from it, and the code becomes a feature vector learned without labels.
#
# ### 2.4 Density estimation: a model of $p(x)$
#
# The most ambitious unsupervised task, and the subject of this course: learn a
# probability distribution $p_\text{model}(x)$ that is close to $p_\text{data}(x)$. A
# density model can do two things a classifier cannot: **evaluate** how probable an image
# is, and **sample** new images.
#
# Our first density model is a **mixture of Bernoullis**
# (`course_lib.models.bernoulli_mixture`). It has $K$ prototype images $\mu_k$ of pixel
# probabilities and weights $\pi_k$; to make an image, pick a prototype $k$ with
# probability $\pi_k$, then switch each pixel on independently with probability $\mu_{kd}$:
#
# $$p(x) = \sum_{k=1}^K \pi_k \prod_{d=1}^{784} \mu_{kd}^{x_d}(1-\mu_{kd})^{1-x_d}.$$
#
# Every term can be computed, so $\log p(x)$ is **exact**. We fit it with EM
# (expectation-maximisation): the E-step computes how responsible each prototype is for
# each image, the M-step re-estimates the prototypes as responsibility-weighted averages.
# EM never decreases the objective, as the curve below shows.

# %%
from course_lib.models.bernoulli_mixture import BernoulliMixture

K = profile.choose(full=50, fast=20)
mixture = BernoulliMixture(n_components=K, smoothing=1.0, seed=0)
mixture.fit(x_train, iterations=profile.choose(full=100, fast=20))
print(f"EM stopped after {len(mixture.history)} iterations")

# %%
from course_lib.viz import CourseFigure

fig = CourseFigure(figsize=(6, 3))
ax = fig.add_subplot(1, 1, 1)
ax.plot([h["log_likelihood"] for h in mixture.history], marker=".")
ax.set_xlabel("EM iteration")
ax.set_ylabel("mean log p(x) on training digits [nats]")
ax.grid(alpha=0.3)
fig.tight_layout()
fig

# %% [markdown]
# **How good is it?** The test log-likelihood, the average $\log p(x)$ of digits the model
# never saw, is the honest score of a density model. It is reported in nats (natural
# log) and in **bits per dimension**, $-\log_2 p(x) / 784$: the number of bits per pixel
# a compressor built on the model would need. Two baselines put it in context: a model
# that flips a fair coin for every pixel costs exactly 1 bit/dim, and a single prototype
# ($K=1$: independent pixels) is the best model that ignores how pixels go together.

# %%
test_log_p = mixture.log_prob(x_test)
test_nats = test_log_p.mean().item()
test_bits = mixture.bits_per_dim(x_test)
independent = BernoulliMixture(n_components=1, smoothing=1.0).fit(x_train, iterations=2)
runtime.report(f"mixture of {K} Bernoullis: test log-likelihood", test_nats, "nats")
runtime.report(f"mixture of {K} Bernoullis: test bits/dim", test_bits, "bits/dim")
print(f"baselines: fair coins 1.000 bits/dim; independent pixels (K=1) "
      f"{independent.bits_per_dim(x_test):.3f} bits/dim")

# %% [markdown]
# A density model can also **sample**: pick a prototype, then flip the pixel coins. Top:
# the prototypes $\mu_k$ (pixel probabilities); bottom: fresh samples.

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
# | discriminative | $p(y \mid x)$ | assign a label to an input |
# | generative | $p(x)$ | detect outliers, learn features without labels, sample new data |
# | conditional generative | $p(x \mid y)$ | assign labels *while rejecting outliers*, generate new data of a chosen label |
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
from course_lib.bayes import GenerativeClassifier

generative = GenerativeClassifier(n_components=profile.choose(full=10, fast=5), smoothing=1.0)
generative.fit(x_train, y_train, iterations=profile.choose(full=50, fast=15))

# %% [markdown]
# **Bayes' rule by hand, for one test image.** Whole-image probabilities are tiny (around
# $e^{-150}$, far below the smallest float32), so we work with logs: the product becomes a
# sum and the sum over labels becomes a `logsumexp`, which subtracts the largest term
# before exponentiating.

# %%
x = x_test[:1]
log_p_x_given_y = generative.log_likelihood(x)[0]                  # (10,)  log p(x | y)
log_p_y = generative.log_prior                                      # (10,)  log p(y)
log_joint = log_p_x_given_y + log_p_y                               # log p(x, y)
log_p_x = torch.logsumexp(log_joint, dim=0)                         # log p(x) = log sum_y p(x, y)
posterior_by_hand = torch.exp(log_joint - log_p_x)                  # p(y | x)

print("log p(x | y):", [round(v, 1) for v in log_p_x_given_y.tolist()])
print("naive exp(log p(x | y)) underflows:", torch.exp(log_p_x_given_y.float()).tolist()[:3], "...")
print(f"log p(x) = {log_p_x.item():.2f} nats; p(y | x) sums to {posterior_by_hand.sum().item():.6f}")
print("p(y | x) by hand == GenerativeClassifier.predict_proba:",
      torch.allclose(posterior_by_hand, generative.predict_proba(x)[0]))
print(f"true label {y_test[0].item()}, Bayes says {posterior_by_hand.argmax().item()}, "
      f"the discriminative classifier says {p_y_given_x[0].argmax().item()}")

# %% [markdown]
# Now on the whole test set: how accurate is the classifier we *derived* by Bayes' rule,
# next to the one trained directly for $p(y \mid x)$, and how often do they agree?

# %%
bayes_predicted = generative.predict(x_test)
bayes_accuracy = (bayes_predicted == y_test).float().mean().item()
agreement = (bayes_predicted == predicted).float().mean().item()
runtime.report("Bayes (generative) classifier test accuracy", bayes_accuracy)
runtime.report("agreement of the Bayes and discriminative classifiers", agreement)
viz.confusion_matrix_figure(clf.confusion_matrix(y_test, bayes_predicted),
                            title=f"Generative classifier by Bayes' rule: accuracy {bayes_accuracy:.1%}")

# %% [markdown]
# The two are close here. The discriminative model spends all its capacity on the
# boundary between digits, the generative model on describing every pixel of every digit;
# with plenty of labelled data the discriminative one usually pulls ahead, with few
# labels the generative one often does better (Ng and Jordan, 2002). What the generative
# model buys with its extra effort is the rest of this notebook.
# First, it **generates data conditioned on a label**: samples of $p(x \mid y)$ for each digit.

# %%
conditional_samples = torch.cat([generative.sample(label, 4, seed=label) for label in range(10)])
viz.show_images(conditional_samples.reshape(10, 4, 1, 28, 28).transpose(0, 1).reshape(40, 1, 28, 28),
                nrow=10, title="Samples of p(x | y), one column per label y = 0 ... 9")

# %% [markdown]
# ## 4. Unreasonable inputs: a classifier must answer, a density model can refuse
#
# A softmax always sums to 1: shown *anything*, a discriminative model must spread all its
# probability over the ten digits, and nothing in its training told it what to do with
# inputs unlike the digits. A density model instead tells us *how probable the input is*.
#
# Our gallery of unreasonable inputs (`course_lib.outliers`): binary noise with half the
# pixels on, noise with as much ink as a digit, a blank page, letters drawn with
# digit-like strokes, and inverted test digits.

# %%
from course_lib import outliers

weird = outliers.unreasonable_inputs(x_test, n=50, seed=0)
gallery = torch.cat([images[:4] for images in weird.values()])
names = [name.split(" (")[0] for name, images in weird.items() for _ in images[:4]]
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

rows, strips = [], {}
for name, images in groups.items():
    probs = clf.predict_proba(classifier, images)
    confidence = probs.max(dim=1).values
    log_p = mixture.log_prob(images)
    strips[name] = log_p
    rows.append({
        "input": name, "n": len(images),
        "classifier: mean max p(y|x)": confidence.mean().item(),
        "classifier: share answering with p > 0.9": (confidence > 0.9).float().mean().item(),
        "classifier: most common answer": torch.mode(probs.argmax(dim=1)).values.item(),
        "mixture: mean log p(x) [nats]": log_p.mean().item(),
        "mixture: rejected": outliers.rejection_rate(log_p, threshold),
        "conditional generative: rejected": outliers.rejection_rate(generative.log_prob(images),
                                                                    bayes_threshold),
    })


def shown(key, value):
    if "share" in key or "rejected" in key:
        return f"{value:.0%}"
    if "max p" in key:
        return f"{value:.2f}"
    return f"{value:.0f}" if isinstance(value, float) else value


for row in rows:
    runtime.report(f"rejected by the mixture: {row['input']}", row["mixture: rejected"])
Markdown(f"Rejection threshold: log p(x) < {threshold:.1f} nats (1st percentile of training digits)\n\n"
         + viz.markdown_table(list(rows[0]), [[shown(k, v) for k, v in row.items()] for row in rows]))

# %%
viz.log_likelihood_strips({"training digits": mixture.log_prob(x_train), **strips}, threshold,
                          title="Where each kind of input lands under the mixture's log p(x)")

# %% [markdown]
# Read the table row by row.
#
# * **Test digits**: almost all accepted (around 1-2% rejected, close to the 1% of
#   training digits the threshold rejects by design), and mostly classified right.
# * **Noise and inverted digits**: the classifier still answers, for the inverted digits
#   and the dense noise often with high confidence. The density model puts them hundreds of
#   nats below every digit, a factor of $e^{-100}$ or less in probability, and rejects them all.
# * **Letters**: strokes of the right thickness, but in the wrong places. They land at the
#   low edge of the digits: some are rejected, some slip through. A mixture of 784
#   independent pixels only knows "blobs of ink here", so a letter that overlaps a
#   digit's blob looks plausible to it; the stronger models of later notebooks
#   separate them better.
# * **The blank page** is the surprise: the density model likes it *more* than a typical
#   digit. An empty image is very easy to predict (most pixels of every digit are 0), and
#   likelihood measures how predictable an input is, not whether it is a digit. This is a
#   real, well-documented weakness of likelihood-based outlier detection (Nalisnick et al.,
#   "Do deep generative models know what they don't know?", 2019): deep models rate
#   simple images too highly as well. A common fix rejects inputs that are *atypically
#   likely* as well as atypically unlikely, or compares with a second, simpler model.
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
mixture.sample(16, seed=1)
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
#   sampled from, and used to reject inputs.
# * Bayes' rule turns a conditional generative model $p(x \mid y)$ and $p(y)$ into a
#   classifier $p(y \mid x)$ *and* a density $p(x)$. Compute it in log space, with `logsumexp`.
# * A discriminative model must spread its probability over the labels for any input; a
#   density model can refuse noise, inverted digits and letters, though likelihood alone
#   has blind spots (the blank page).
#
# Next, notebook 02 draws the map of generative models and makes the chain rule
# $p(x) = \prod_i p(x_i \mid x_{<i})$ exact on tiny images.
