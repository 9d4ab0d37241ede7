"""Counting fringes on steelpan drums (paper 5).

S. H. Hawley and A. C. Morrison, "ConvNets for counting: object detection of transient
phenomena in steelpan drums" (J. Acoust. Soc. Am. 150, 2021; their detector is SPNet):
electronic speckle pattern interferometry (ESPI) images of a vibrating steelpan show each
antinode region as an ellipse of concentric interference fringes whose number of rings
measures the vibration amplitude; a one-shot, grid-based convolutional detector in the
spirit of YOLO, trained on synthetic images, finds the antinodes (centre, semi-axes) and
regresses the ring count of each. The paper reports a ring-count accuracy of 0.96 on its
synthetic test set.

Model choices here (CPU size):

* synthetic images from :mod:`jaxdyn.data.espi`: 0..4 non-overlapping elliptical regions
  with intensity cos²(π(n + ½) r) (a bright centre and n bright rings), a wave-like
  background fringe pattern, Gaussian blur and additive noise; images are 64x64 (128x128
  in ``full``), so the ring count is capped by what the pixels resolve (rings at least
  ``min_spacing`` pixels apart: 0..4 rings at 64 px, 0..9 at 128 px, against the paper's
  0..11 on 512x384 images);
* :class:`~jaxdyn.models.fringe_detector.FringeDetector`: a compact CNN mapping an image
  to an 8x8 grid, each cell predicting objectness, the centre offset in the cell, the
  semi-axes and the ring count (regression); the loss is BCE on objectness, squared error
  on offsets and log-axes and a Huber loss on the ring count over the cells holding an
  object; trained with Adam on fresh synthetic images every step, at noise levels drawn
  uniformly from [0, ``train_noise_max``]; no angle is predicted.

Reproduced: on held-out synthetic images, detection precision and recall (a detection
matches an unmatched region whose centre lies within ``match_radius`` pixels), the mean
centre error of the matches, the ring-count accuracy (rounded regressed count exactly
right, among matched regions) beside the paper's 0.96, and the effect of the noise level:
the trained detector evaluated on the same images at several noise levels, including
levels beyond the training range.
"""

from .config import PRESETS, SteelpanConfig
from .run import run

__all__ = ["PRESETS", "SteelpanConfig", "run"]
