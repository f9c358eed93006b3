"""course_lib: the tested reference code behind the deep generative models course.

One module per concern (see README.md): ``runtime`` (device, seed, profile),
``data`` (MNIST online/offline, binarisation, toy densities), ``train`` (the training
loop), ``viz`` (grids and curves). Notebooks import these; nothing here imports a notebook.
"""
__version__ = "0.1.0"
