"""The mask built with two Python loops over the kernel and a raster index per position,
filled into a (out, in, k, k) tensor channel pair by channel pair."""

CELLS = {"a1_mask": '''def causal_mask(kernel_size, mask_type, in_channels=1, out_channels=1):
    """The 0/1 mask (out_channels, in_channels, k, k) of a masked convolution, in raster order."""
    centre = (kernel_size // 2) * kernel_size + kernel_size // 2   # raster index of the centre
    mask = torch.zeros(out_channels, in_channels, kernel_size, kernel_size)
    for row in range(kernel_size):
        for col in range(kernel_size):
            index = row * kernel_size + col
            if index < centre or (index == centre and mask_type == "B"):
                mask[:, :, row, col] = 1.0
    return mask
'''}
