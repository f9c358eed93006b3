"""The course's models, one file per family, each readable top to bottom.

* ``bernoulli_mixture``: a mixture of Bernoullis fitted by EM (notebook 01), the
  simplest explicit density model of binary digits;
* ``classifier``: a small discriminative MNIST classifier, p(y | x) (notebook 01);
* ``autoregressive``: the chain rule p(x) = prod_i p(x_i | x_<i) as an exact table on
  tiny binary images (notebook 02);
* ``pixelcnn``: masked convolutions, the plain and gated PixelCNN and the Row LSTM
  PixelRNN, trained by maximum likelihood and sampled pixel by pixel (notebook 03);
* ``autoencoder``: fully connected, convolutional and denoising autoencoders (notebook 04);
* ``vae``: the variational autoencoder, its ELBO and the IWAE bound (notebook 05);
* ``gan``: losses on logits, MLP GAN, DCGAN and the conditional generator with
  conditional batch norm, k discriminator steps per generator step (notebook 06).
"""
