"""The mask written in NumPy (np.ones then slicing, np.broadcast_to for the channels),
converted with torch.tensor(..., dtype=torch.float32)."""

CELLS = {"a1_mask": '''import numpy as np


def causal_mask(kernel_size, mask_type, in_channels=1, out_channels=1):
    """The 0/1 mask (out_channels, in_channels, k, k) of a masked convolution, in raster order."""
    c = kernel_size // 2
    m = np.ones((kernel_size, kernel_size))
    m[c, c + (1 if mask_type == "B" else 0):] = 0   # the centre row from the centre (A) or after it (B)
    m[c + 1:, :] = 0                                # every row below
    full = np.broadcast_to(m, (out_channels, in_channels, kernel_size, kernel_size))
    return torch.tensor(full, dtype=torch.float32)
'''}
