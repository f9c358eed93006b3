"""real.chunk(k) for the minibatches, the losses kept as tensors and averaged with
torch.stack(...).mean(); the discriminator loss as a sum of per-batch means written with
softplus on the negated and plain logits in one torch.cat."""

CELLS = {
    "a3_d_loss": '''def discriminator_loss(real_logits, fake_logits):
    parts = torch.stack([F.softplus(-real_logits).mean(), F.softplus(fake_logits).mean()])
    return parts.sum()
''',
    "a3_training_step": '''def training_step(generator, discriminator, g_optimizer, d_optimizer, real, k):
    losses = []
    for chunk in real.chunk(k):
        with torch.no_grad():
            noise = torch.randn(len(chunk), generator.latent_dim).to(chunk.device)
            fakes = generator(noise)
        d_optimizer.zero_grad()
        loss = discriminator_loss(discriminator(chunk), discriminator(fakes))
        loss.backward()
        d_optimizer.step()
        losses.append(loss.detach())
    m = len(real) // k
    g_optimizer.zero_grad()
    g_loss = non_saturating_generator_loss(discriminator(generator(torch.randn(m, generator.latent_dim, device=real.device))))
    g_loss.backward()
    g_optimizer.step()
    return {"d_loss": torch.stack(losses).mean().item(), "g_loss": g_loss.item()}
''',
}
