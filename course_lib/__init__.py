"""course_lib: the tested reference code behind the deep generative models course.

One module per concern; notebooks import these, nothing here imports a notebook.

For every notebook: ``runtime`` (device, seed, run profile), ``data`` (MNIST online or
offline, binarisation, toy densities), ``train`` (the training loop), ``viz`` (pictures),
``widgets`` (interactive explorers), ``files`` (atomic writes).

Models and theory: ``models`` (one file per family), ``likelihood`` (nats per image,
bits per dimension), ``theory`` (exact computations that check the derivations),
``bayes``, ``outliers``, ``taxonomy``, ``probability`` (the reference answers of A0).

Assignments: ``checks`` (what check cells call). The instructor's tools (build student
notebooks from solutions, grade submissions, run the course) live in ``grading``.
``notebook_setup`` holds the first cell every notebook shares.
"""
__version__ = "0.1.0"
