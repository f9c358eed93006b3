"""The three losses with F.binary_cross_entropy_with_logits and explicit 1/0 targets instead
of softplus; the training step labels one concatenated batch of real and fake logits."""

CELLS = {
    "a3_d_loss": '''def discriminator_loss(real_logits, fake_logits):
    real_loss = F.binary_cross_entropy_with_logits(real_logits, torch.ones_like(real_logits))
    fake_loss = F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits))
    return real_loss + fake_loss
''',
    "a3_g_losses": '''def saturating_generator_loss(fake_logits):
    # log(1 - D) = -BCE(logits, target 0)
    return -F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits))


def non_saturating_generator_loss(fake_logits):
    return F.binary_cross_entropy_with_logits(fake_logits, torch.ones_like(fake_logits))
''',
    "a3_training_step": '''def training_step(generator, discriminator, g_optimizer, d_optimizer, real, k):
    m = len(real) // k
    total = 0.0
    for i in range(k):
        z = torch.randn(m, generator.latent_dim, device=real.device)
        fake = generator(z).detach()
        logits = discriminator(torch.cat([real[i * m:(i + 1) * m], fake]))
        targets = torch.cat([logits.new_ones(m), logits.new_zeros(m)])
        # mean over each half = the two batch means added
        loss = 2 * F.binary_cross_entropy_with_logits(logits, targets)
        d_optimizer.zero_grad()
        loss.backward()
        d_optimizer.step()
        total += loss.item()
    logits = discriminator(generator(torch.randn(m, generator.latent_dim, device=real.device)))
    g_loss = F.binary_cross_entropy_with_logits(logits, torch.ones_like(logits))
    g_optimizer.zero_grad()
    g_loss.backward()
    g_optimizer.step()
    return {"d_loss": total / k, "g_loss": g_loss.item()}
''',
}
