"""pytorch/examples' habit: each discriminator step makes its fakes with a graph and gives D
fakes.detach(); the generator step reuses the last fakes (m of them) instead of drawing new
noise. real.split(m) gives the minibatches; zero_grad(set_to_none=False)."""

CELLS = {
    "a3_training_step": '''def training_step(generator, discriminator, g_optimizer, d_optimizer, real, k):
    m = len(real) // k
    d_losses = []
    for real_batch in real.split(m)[:k]:
        fake = generator(torch.randn(m, generator.latent_dim, device=real.device))
        d_optimizer.zero_grad(set_to_none=False)
        loss = discriminator_loss(discriminator(real_batch), discriminator(fake.detach()))
        loss.backward()
        d_optimizer.step()
        d_losses.append(loss.item())
    g_optimizer.zero_grad(set_to_none=False)
    g_loss = non_saturating_generator_loss(discriminator(fake))
    g_loss.backward()
    g_optimizer.step()
    return dict(d_loss=float(sum(d_losses) / len(d_losses)), g_loss=float(g_loss.item()))
''',
}
