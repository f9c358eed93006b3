"""Freezing instead of detaching: the generator's parameters get requires_grad_(False) during
the discriminator steps (the fakes are made with a graph but nothing reaches G), and the
discriminator's during the generator step, each with a for loop over parameters."""

CELLS = {
    "a3_training_step": '''def set_trainable(module, flag):
    for parameter in module.parameters():
        parameter.requires_grad_(flag)


def training_step(generator, discriminator, g_optimizer, d_optimizer, real, k):
    m = len(real) // k
    d_losses = []
    set_trainable(generator, False)
    for i in range(k):
        fakes = generator(torch.randn(m, generator.latent_dim, device=next(generator.parameters()).device))
        loss = discriminator_loss(discriminator(real[i * m:(i + 1) * m]), discriminator(fakes))
        d_optimizer.zero_grad()
        loss.backward()
        d_optimizer.step()
        d_losses.append(loss.item())
    set_trainable(generator, True)
    set_trainable(discriminator, False)
    g_loss = non_saturating_generator_loss(discriminator(generator(torch.randn(m, generator.latent_dim, device=next(generator.parameters()).device))))
    g_optimizer.zero_grad()
    g_loss.backward()
    g_optimizer.step()
    set_trainable(discriminator, True)
    return {"d_loss": sum(d_losses) / k, "g_loss": g_loss.item()}
''',
}
