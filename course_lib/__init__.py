"""course_lib: the tested reference code behind the deep generative models course.

One module per concern; notebooks import these, nothing here imports a notebook.

For every notebook: ``runtime`` (device, seed, run profile), ``data`` (MNIST online or
offline, binarisation, toy densities), ``train`` (the training loop), ``viz`` (pictures),
``widgets`` (interactive explorers), ``files`` (atomic writes).

Models and theory: ``models`` (one file per family), ``bayes``, ``outliers``,
``taxonomy``, ``probability`` (the reference answers of assignment A0).

Assignments: ``checks`` (what check cells call), ``authoring`` (build student notebooks
from solutions), ``grade`` (grade a folder of submissions) with ``submissions``, ``screen``,
``grading_guard`` and ``sandbox_kernel`` (its defences). Course runs: ``execute``,
``notebook_setup``.
"""
__version__ = "0.1.0"
