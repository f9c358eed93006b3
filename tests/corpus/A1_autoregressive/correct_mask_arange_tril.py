"""The mask as one row of a lower-triangular ordering matrix: row `centre` of
torch.tril(ones(k*k, k*k)) holds 1 on every raster index before the centre (diagonal=-1,
type A) or up to it (diagonal=0, type B); reshaped to (k, k), then repeat() for the channels."""

CELLS = {"a1_mask": '''def causal_mask(kernel_size, mask_type, in_channels=1, out_channels=1):
    """The 0/1 mask (out_channels, in_channels, k, k) of a masked convolution, in raster order."""
    k = kernel_size
    centre = k * k // 2
    order = torch.tril(torch.ones(k * k, k * k), diagonal=-1 if mask_type == "A" else 0)
    return order[centre].reshape(1, 1, k, k).repeat(out_channels, in_channels, 1, 1)
'''}
