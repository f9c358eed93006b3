"""The likelihood from torch.distributions: Independent(Bernoulli(logits=...), 3) and
Independent(Categorical(logits=<K moved last>), 3), log_prob negated; bits per dimension
with C * H * W unpacked from the shape and torch.log(torch.tensor(2.))."""

CELLS = {
    "a1_nll": '''def nll_per_image(logits, x):
    if logits.ndim == 5:
        pixels = torch.distributions.Categorical(logits=logits.movedim(1, -1))   # batch (N, 1, H, W), K events
    else:
        pixels = torch.distributions.Bernoulli(logits=logits)
    image = torch.distributions.Independent(pixels, 3)   # one event = one (1, H, W) image
    return -image.log_prob(x)
''',
    "a1_bpd": '''def bits_per_dim(nll, x):
    n, c, h, w = x.shape
    return nll / (c * h * w) / torch.log(torch.tensor(2.0))
''',
}
