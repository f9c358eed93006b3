"""The course's models, one file per family, each readable top to bottom.

* ``bernoulli_mixture``: a mixture of Bernoullis fitted by EM (notebook 01), the
  simplest explicit density model of binary digits;
* ``classifier``: a small discriminative MNIST classifier, p(y | x) (notebook 01);
* ``autoregressive``: the chain rule p(x) = prod_i p(x_i | x_<i), first as an exact
  table on tiny binary images (notebook 02); PixelCNN joins it in notebook 03.
"""
