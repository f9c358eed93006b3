"""The likelihood with F.binary_cross_entropy_with_logits and F.cross_entropy
(reduction='none'), summed over dims (1, 2, 3); bits per dimension with math.prod of the
image shape and log base 2 of e."""

CELLS = {
    "a1_nll": '''def nll_per_image(logits, x):
    if logits.dim() == 5:
        per_pixel = F.cross_entropy(logits, x, reduction="none")          # (N, 1, H, W)
    else:
        per_pixel = F.binary_cross_entropy_with_logits(logits, x, reduction="none")
    return per_pixel.sum(dim=(1, 2, 3))
''',
    "a1_bpd": '''def bits_per_dim(nll, x):
    dims = math.prod(x.shape[1:])
    return nll * math.log2(math.e) / dims
''',
}
