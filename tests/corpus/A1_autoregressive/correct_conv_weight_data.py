"""The mask applied in forward by overwriting the weight in place (self.weight.data *= mask)
and then nn.Conv2d's own forward; the mask is a registered buffer."""

CELLS = {"a1_conv": '''class MaskedConv2d(nn.Conv2d):
    """A convolution that sees only pixels before the centre (type A) or up to it (type B)."""

    def __init__(self, in_channels, out_channels, kernel_size, mask_type):
        super().__init__(in_channels, out_channels, kernel_size, padding=kernel_size // 2)
        self.register_buffer("mask", causal_mask(kernel_size, mask_type, in_channels, out_channels))

    def forward(self, x):
        """(B, in_channels, H, W) -> (B, out_channels, H, W), convolved with the masked kernel."""
        self.weight.data *= self.mask
        return super().forward(x)
'''}
