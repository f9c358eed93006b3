"""The weight masked in place under torch.no_grad() (weight.mul_(mask)) before the
parent's forward, with the old-style super(MaskedConv2d, self).__init__ call, and the
mask built by a helper function defined inside the cell (no call to causal_mask)."""

CELLS = {"a1_conv": '''def raster_mask(k, kind):
    m = torch.ones(k, k)
    m[k // 2, k // 2 + (kind == "B"):] = 0
    m[k // 2 + 1:] = 0
    return m


class MaskedConv2d(nn.Conv2d):
    def __init__(self, in_channels, out_channels, kernel_size, mask_type):
        super(MaskedConv2d, self).__init__(in_channels, out_channels, kernel_size, 1, kernel_size // 2)
        self.register_buffer("mask", raster_mask(kernel_size, mask_type)[None, None])  # broadcasts over channels

    def forward(self, x):
        with torch.no_grad():
            self.weight.mul_(self.mask)
        return super().forward(x)
'''}
