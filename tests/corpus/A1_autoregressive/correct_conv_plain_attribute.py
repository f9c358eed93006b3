"""The mask kept as a plain tensor attribute (not a buffer), nn.Conv2d's __init__ called
with keyword arguments, and F.conv2d with stride, padding, dilation and groups passed
positionally."""

CELLS = {"a1_conv": '''class MaskedConv2d(nn.Conv2d):
    """A convolution that sees only pixels before the centre (type A) or up to it (type B)."""

    def __init__(self, in_channels, out_channels, kernel_size, mask_type):
        super().__init__(in_channels=in_channels, out_channels=out_channels, kernel_size=kernel_size,
                         stride=1, padding=kernel_size // 2, bias=True)
        self.mask = causal_mask(kernel_size, mask_type, in_channels, out_channels)

    def forward(self, x):
        masked = self.weight * self.mask
        return F.conv2d(x, masked, self.bias, self.stride, self.padding, self.dilation, self.groups)
'''}
