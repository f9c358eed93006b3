"""The losses written with F.logsigmoid (log(1 - sigmoid(l)) = logsigmoid(-l)), the optimal
discriminator with torch.div, and JSD from log-ratios computed with torch.where."""

CELLS = {
    "a3_d_loss": '''def discriminator_loss(real_logits, fake_logits):
    return -(F.logsigmoid(real_logits).mean() + F.logsigmoid(-fake_logits).mean())
''',
    "a3_g_losses": '''def saturating_generator_loss(fake_logits):
    return F.logsigmoid(-fake_logits).mean()


def non_saturating_generator_loss(fake_logits):
    return -F.logsigmoid(fake_logits).mean()
''',
    "a3_optimal_d": '''def optimal_discriminator(p_data, p_g):
    return torch.div(p_data, torch.add(p_data, p_g))
''',
    "a3_jsd": '''def jensen_shannon(p, q):
    m = 0.5 * (p + q)
    term_p = torch.where(p > 0, p * torch.log(p / m), torch.zeros_like(p))
    term_q = torch.where(q > 0, q * torch.log(q / m), torch.zeros_like(q))
    return 0.5 * term_p.sum(-1) + 0.5 * term_q.sum(-1)
''',
}
