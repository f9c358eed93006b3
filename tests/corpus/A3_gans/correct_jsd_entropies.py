"""JSD as the entropy of the mixture minus the mean entropy, H(m) - (H(p) + H(q)) / 2, with
torch.special.entr; the optimal discriminator as 1 / (1 + p_g / p_data) where p_data > 0."""

CELLS = {
    "a3_jsd": '''def entropy(p):
    return torch.special.entr(p).sum(-1)


def jensen_shannon(p, q):
    return entropy((p + q) / 2) - (entropy(p) + entropy(q)) / 2
''',
    "a3_optimal_d": '''def optimal_discriminator(p_data, p_g):
    ratio = torch.where(p_data > 0, p_g / p_data.clamp_min(1e-300), torch.full_like(p_g, float("inf")))
    return 1 / (1 + ratio)
''',
}
