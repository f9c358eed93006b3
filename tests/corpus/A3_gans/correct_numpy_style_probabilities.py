"""Discrete parts with explicit broadcasting and keepdim sums: JSD with the given
kl_divergence on a stacked pair, the optimal discriminator via the normalised pair
(p_data, p_g) / (p_data + p_g); the discriminator loss with torch.nn.BCEWithLogitsLoss
modules."""

CELLS = {
    "a3_jsd": '''def jensen_shannon(p, q):
    pair = torch.stack([p, q])                         # (2, ..., K)
    m = pair.mean(dim=0, keepdim=True)                 # (1, ..., K)
    return kl_divergence(pair, m.expand_as(pair)).mean(dim=0)
''',
    "a3_optimal_d": '''def optimal_discriminator(p_data, p_g):
    both = torch.stack([p_data, p_g], dim=-1)          # (..., K, 2)
    return (both / both.sum(dim=-1, keepdim=True))[..., 0]
''',
    "a3_d_loss": '''def discriminator_loss(real_logits, fake_logits):
    bce = nn.BCEWithLogitsLoss()
    return bce(real_logits, torch.ones_like(real_logits)) + bce(fake_logits, torch.zeros_like(fake_logits))
''',
}
