"""Sampling with torch.distributions.Bernoulli(logits=...).sample(), a flat index loop
with divmod, and torch.no_grad() as a decorator on a helper defined in the cell."""

CELLS = {"a1_sample": '''@torch.no_grad()
def next_pixel(model, canvas, row, col):
    logits = model(canvas)[:, :, row, col]
    return torch.distributions.Bernoulli(logits=logits).sample()


def sample(model, n, height, width):
    canvas = torch.zeros(n, 1, height, width)
    for index in range(height * width):
        row, col = divmod(index, width)
        canvas[:, :, row, col] = next_pixel(model, canvas, row, col)
    return canvas
'''}
