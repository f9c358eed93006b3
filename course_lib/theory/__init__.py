"""Exact computations on models small enough to enumerate: the derivations, checked.

Each module holds one lecture's derivation as numbers a notebook can print beside the
algebra: :mod:`.elbo` (notebook 05: log p(x) = ELBO + KL(q || p(z|x)) on a latent-variable
model whose every term can be computed) and :mod:`.gan` (notebook 06: the optimal
discriminator and V(G, D*) = -log 4 + 2 JSD on small discrete distributions).
"""
