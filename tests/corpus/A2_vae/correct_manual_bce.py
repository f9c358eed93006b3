"""negative_elbo with the binary cross-entropy written out from the logits (softplus form), calling the
student's own gaussian_kl, with if/elif reductions; the training mean over the batch by default."""
CELLS = {
    "a2_negative_elbo": '''\
def negative_elbo(x, logits, mu, logvar, reduction="mean"):
    # -log p(x|z) = sum_d softplus(l_d) - x_d * l_d  (stable form of the BCE with logits)
    bce = (F.softplus(logits) - x * logits).sum(-1)
    loss = bce + gaussian_kl(mu, logvar)
    if reduction == "mean":
        return loss.mean()
    elif reduction == "sum":
        return loss.sum()
    elif reduction == "none":
        return loss
    raise ValueError(reduction)
''',
}
