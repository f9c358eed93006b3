"""iwae_bound with a Python loop over the k samples, one decode per sample, log w stacked then logsumexp;
log-densities from torch.distributions; computed under torch.no_grad()."""
CELLS = {
    "a2_iwae": '''\
def iwae_bound(model, x, k):
    with torch.no_grad():
        mu, logvar = model.encode(x)
        std = torch.exp(0.5 * logvar)
        q = torch.distributions.Normal(mu, std)
        prior = torch.distributions.Normal(torch.zeros_like(mu), torch.ones_like(mu))
        log_ws = []
        for _ in range(k):
            z = q.rsample()
            logits = model.decode(z)
            log_px = torch.distributions.Bernoulli(logits=logits).log_prob(x).sum(1)
            log_ws.append(log_px + prior.log_prob(z).sum(1) - q.log_prob(z).sum(1))
        log_w = torch.stack(log_ws, dim=1)   # (N, k)
        return torch.logsumexp(log_w, dim=1) - math.log(k)
''',
}
