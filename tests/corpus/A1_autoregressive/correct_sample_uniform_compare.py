"""Sampling by comparing uniforms with the probability ((torch.rand(...) < p).float()),
probabilities via torch.sigmoid, model.eval() first, and the canvas updated through an
out-of-place copy each step."""

CELLS = {"a1_sample": '''def sample(model, n, height, width):
    model.eval()
    x = torch.zeros(n, 1, height, width)
    with torch.no_grad():
        for r in range(height):
            for c in range(width):
                p = torch.sigmoid(model(x))[:, 0, r, c]          # (n,)
                pixel = (torch.rand(n) < p).float()
                x = x.clone()
                x[:, 0, r, c] = pixel
    return x
'''}
