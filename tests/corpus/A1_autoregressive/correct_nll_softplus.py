"""The likelihood written out by hand: softplus for the Bernoulli case
(-log sigmoid(l) = softplus(-l)), logsumexp minus the observed logit for the K-level case
(a one-hot mask instead of gather), reshape(len(x), -1).sum(-1); bits per dimension with
torch.log2 of e."""

CELLS = {
    "a1_nll": '''def nll_per_image(logits, x):
    if len(logits.shape) == 4:
        cost = x * F.softplus(-logits) + (1 - x) * F.softplus(logits)   # -log p(x_i | x_<i)
    else:
        k = logits.shape[1]
        one_hot = F.one_hot(x, k).movedim(-1, 1).float()                # (N, K, 1, H, W)
        observed = (logits * one_hot).sum(1)                            # the logit of the level seen
        cost = torch.logsumexp(logits, dim=1) - observed
    return cost.reshape(len(x), -1).sum(-1)
''',
    "a1_bpd": '''def bits_per_dim(nll, x):
    return nll / x[0].numel() * torch.log2(torch.tensor(math.e))
''',
}
