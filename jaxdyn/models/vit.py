"""A small vision transformer with quantisation-aware layers (paper 18).

The architecture is ViT/DeiT's (A. Dosovitskiy et al., ICLR 2021; H. Touvron et al.,
ICML 2021) at toy size: non-overlapping p x p patches embedded linearly, a class token,
learned position embeddings, ``depth`` pre-norm blocks

    x <- x + Proj(MHSA(LN(x))),      x <- x + FC2(GELU(FC1(LN(x)))),

and a linear head on the final class token. The forward pass takes a batch (B, H, W) of
grey images. Queries and keys have no bias, so attention logits are
x_i W_qᵀ W_k x_jᵀ / √d_h per head, which lets the query-key reparameterisation below
rewrite them exactly.

:func:`quantize` turns a trained full-precision model into a quantisation-aware one
(W b A b: weights and activations at b bits) with one of three recipes:

* ``"lsq"``: LSQ (learned step size, per output row) for the weights of every block
  linear layer, LSQ (per tensor) for their input activations and for queries and keys;
* ``"statsq"``: the same with the statistics-based StatsQ weight quantiser of paper 18;
* ``"ofq"``: StatsQ plus query-key reparameterisation (QKR): each head's product
  W_qk = W_qᵀ W_k (d x d) is quantised as one weight matrix, so the logits are
  x̂ Q(W_qk) x̂ᵀ with the activation x̂ Q(W_qk) quantised; W_q and W_k remain the trained
  parameters (S.-Y. Liu, Z. Liu and K.-T. Cheng, ICML 2023, §4.3). Confidence-guided
  annealing is a training phase (:func:`freeze_confident`).

Patch embedding, class token, position embedding, layer norms and the head stay in full
precision (the usual choice for the first and last layers). Softmax outputs are not
quantised (paper 18 quantises them too; left out here).
"""

from __future__ import annotations

import math

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Bool, Float, PRNGKeyArray

from ..core import check_int
from .quantization import LSQQuantizer, StatsQuantizer, cga_freeze_mask, check_bits

METHODS = ("lsq", "statsq", "ofq")


def _along_last(v: Array, like: Array) -> Array:
    """A vector over the last axis, broadcast explicitly to ``like``'s shape."""
    return jnp.broadcast_to(v, like.shape)


def _layer_norm(x: Array, weight: Array, bias: Array, eps: float = 1e-6) -> Array:
    mean = jnp.mean(x, axis=-1, keepdims=True)
    var = jnp.var(x, axis=-1, keepdims=True)
    y = (x - mean) * jax.lax.rsqrt(var + eps)
    return y * _along_last(weight, y) + _along_last(bias, y)


class LayerNorm(eqx.Module):
    weight: Float[Array, " d"]
    bias: Float[Array, " d"]

    def __init__(self, dim: int):
        self.weight = jnp.ones(dim)
        self.bias = jnp.zeros(dim)

    def __call__(self, x: Array) -> Array:
        return _layer_norm(x, self.weight, self.bias)


class QLinear(eqx.Module):
    """y = Q_a(x) Q_w(W)ᵀ + b, with optional weight and input-activation quantisers.

    ``frozen`` (confidence-guided annealing) marks weights that no longer receive a
    gradient; ``tape`` in :meth:`__call__` records the layer's input under ``name``.
    """

    weight: Float[Array, "out inp"]
    bias: Float[Array, " out"] | None
    weight_quant: LSQQuantizer | StatsQuantizer | None
    act_quant: LSQQuantizer | None
    frozen: Bool[Array, "out inp"] | None
    name: str = eqx.field(static=True)

    def __init__(self, inp: int, out: int, *, key: PRNGKeyArray, bias: bool = True, name: str):
        self.weight = 0.02 * jax.random.truncated_normal(key, -2.0, 2.0, (out, inp))
        self.bias = jnp.zeros(out) if bias else None
        self.weight_quant = self.act_quant = self.frozen = None
        self.name = name

    def effective_weight(self) -> Array:
        """The weight the forward pass uses: frozen entries detached, then quantised."""
        w = self.weight
        if self.frozen is not None:
            w = jnp.where(self.frozen, jax.lax.stop_gradient(w), w)
        return w if self.weight_quant is None else self.weight_quant(w)

    def quantize_input(self, x: Array, tape: dict | None = None) -> Array:
        if tape is not None:
            tape[self.name] = x
        return x if self.act_quant is None else self.act_quant(x)

    def __call__(self, x: Array, tape: dict | None = None) -> Array:
        y = self.quantize_input(x, tape) @ self.effective_weight().T
        return y if self.bias is None else y + _along_last(self.bias, y)

    def levels(self) -> Array | None:
        """Integer levels of the quantised weights (None in full precision)."""
        if self.weight_quant is None:
            return None
        return self.weight_quant.levels(self.weight)

    def scaled(self) -> Array:
        return self.weight_quant.scaled(self.weight)


class Attention(eqx.Module):
    """Multi-head self-attention; QKR (``qk_quant`` set) quantises W_qk = W_qᵀ W_k per head."""

    q: QLinear
    k: QLinear
    v: QLinear
    proj: QLinear
    q_act: LSQQuantizer | None
    k_act: LSQQuantizer | None
    qk_quant: StatsQuantizer | None
    qkx_act: LSQQuantizer | None
    heads: int = eqx.field(static=True)
    name: str = eqx.field(static=True)

    def __init__(self, dim: int, heads: int, *, key: PRNGKeyArray, name: str):
        if dim % heads:
            raise ValueError(f"heads must divide dim, got dim={dim}, heads={heads}")
        kq, kk, kv, kp = jax.random.split(key, 4)
        self.q = QLinear(dim, dim, key=kq, bias=False, name=f"{name}.q")
        self.k = QLinear(dim, dim, key=kk, bias=False, name=f"{name}.k")
        self.v = QLinear(dim, dim, key=kv, name=f"{name}.v")
        self.proj = QLinear(dim, dim, key=kp, name=f"{name}.proj")
        self.q_act = self.k_act = self.qk_quant = self.qkx_act = None
        self.heads = heads
        self.name = name

    def _split(self, x: Array) -> Array:
        b, t, d = x.shape
        return x.reshape(b, t, self.heads, d // self.heads).transpose(0, 2, 1, 3)

    def qk_matrix(self) -> Array:
        """W_qk[h] = W_q[h]ᵀ W_k[h], shape (heads, d, d)."""
        d = self.q.weight.shape[1]
        wq = self.q.weight.reshape(self.heads, -1, d)
        wk = self.k.weight.reshape(self.heads, -1, d)
        return jnp.einsum("hed,hef->hdf", wq, wk)

    def logits(self, x: Array, tape: dict | None = None) -> Array:
        dh = x.shape[-1] // self.heads
        if self.qk_quant is None:
            q, k = self.q(x, tape), self.k(x, tape)
            if tape is not None:
                tape[f"{self.name}.q_out"], tape[f"{self.name}.k_out"] = q, k
            if self.q_act is not None:
                q, k = self.q_act(q), self.k_act(k)
            return jnp.einsum("bhtd,bhsd->bhts", self._split(q), self._split(k)) / math.sqrt(dh)
        xq = self.q.quantize_input(x, tape)
        w = self.qk_quant(self.qk_matrix())
        qkx = jnp.einsum("btd,hdf->bhtf", xq, w)
        if tape is not None:
            tape[f"{self.name}.qkx"] = qkx
        if self.qkx_act is not None:
            qkx = self.qkx_act(qkx)
        return jnp.einsum("bhtf,bsf->bhts", qkx, xq) / math.sqrt(dh)

    def __call__(self, x: Array, tape: dict | None = None) -> Array:
        attn = jax.nn.softmax(self.logits(x, tape), axis=-1)
        v = self._split(self.v(x, tape))
        out = jnp.einsum("bhts,bhsd->bhtd", attn, v)
        b, h, t, dh = out.shape
        return self.proj(out.transpose(0, 2, 1, 3).reshape(b, t, h * dh), tape)


class Block(eqx.Module):
    norm1: LayerNorm
    attn: Attention
    norm2: LayerNorm
    fc1: QLinear
    fc2: QLinear

    def __init__(self, dim: int, heads: int, mlp: int, *, key: PRNGKeyArray, name: str):
        ka, k1, k2 = jax.random.split(key, 3)
        self.norm1, self.norm2 = LayerNorm(dim), LayerNorm(dim)
        self.attn = Attention(dim, heads, key=ka, name=f"{name}.attn")
        self.fc1 = QLinear(dim, mlp, key=k1, name=f"{name}.fc1")
        self.fc2 = QLinear(mlp, dim, key=k2, name=f"{name}.fc2")

    def __call__(self, x: Array, tape: dict | None = None) -> Array:
        x = x + self.attn(self.norm1(x), tape)
        return x + self.fc2(jax.nn.gelu(self.fc1(self.norm2(x), tape)), tape)


class ViT(eqx.Module):
    """A small vision transformer for (B, H, W) grey images -> (B, classes) logits."""

    patch_embed: Float[Array, "dim pp"]
    patch_bias: Float[Array, " dim"]
    cls_token: Float[Array, " dim"]
    pos_embed: Float[Array, "tokens dim"]
    blocks: tuple[Block, ...]
    norm: LayerNorm
    head: Float[Array, "classes dim"]
    head_bias: Float[Array, " classes"]
    image_size: int = eqx.field(static=True)
    patch: int = eqx.field(static=True)

    def __init__(
        self,
        image_size: int = 8,
        patch: int = 2,
        dim: int = 32,
        depth: int = 2,
        heads: int = 2,
        mlp: int = 64,
        classes: int = 10,
        *,
        key: PRNGKeyArray,
    ):
        self.image_size = check_int("image_size", image_size, 1)
        self.patch = check_int("patch", patch, 1, image_size)
        if image_size % patch:
            raise ValueError(f"patch must divide image_size, got {patch} and {image_size}")
        dim = check_int("dim", dim, 1)
        depth = check_int("depth", depth, 1)
        heads = check_int("heads", heads, 1, dim)
        mlp = check_int("mlp", mlp, 1)
        classes = check_int("classes", classes, 2)
        tokens = (image_size // patch) ** 2 + 1
        keys = jax.random.split(key, depth + 4)
        tn = lambda k, shape: 0.02 * jax.random.truncated_normal(k, -2.0, 2.0, shape)
        self.patch_embed = tn(keys[0], (dim, patch * patch))
        self.patch_bias = jnp.zeros(dim)
        self.cls_token = tn(keys[1], (dim,))
        self.pos_embed = tn(keys[2], (tokens, dim))
        self.blocks = tuple(
            Block(dim, heads, mlp, key=keys[4 + i], name=f"blocks.{i}") for i in range(depth)
        )
        self.norm = LayerNorm(dim)
        self.head = tn(keys[3], (classes, dim))
        self.head_bias = jnp.zeros(classes)

    def patches(self, images: Float[Array, "b h w"]) -> Array:
        b, p = images.shape[0], self.patch
        n = self.image_size // p
        x = images.reshape(b, n, p, n, p).transpose(0, 1, 3, 2, 4)
        return x.reshape(b, n * n, p * p)

    def __call__(self, images: Float[Array, "b h w"], tape: dict | None = None) -> Array:
        x = self.patches(images) @ self.patch_embed.T
        x = x + _along_last(self.patch_bias, x)
        cls = jnp.broadcast_to(self.cls_token, (x.shape[0], 1, x.shape[-1]))
        x = jnp.concatenate([cls, x], axis=1)
        x = x + jnp.broadcast_to(self.pos_embed, x.shape)
        for block in self.blocks:
            x = block(x, tape)
        logits = self.norm(x[:, 0]) @ self.head.T
        return logits + _along_last(self.head_bias, logits)

    # ------------------------------------------------------------------ quantisation
    def linears(self) -> list[QLinear]:
        """The quantisable linear layers, in order."""
        out = []
        for b in self.blocks:
            out += [b.attn.q, b.attn.k, b.attn.v, b.attn.proj, b.fc1, b.fc2]
        return out

    def weight_levels(self) -> dict[str, Array]:
        """Integer levels of every quantised weight tensor, by name (for the oscillation
        tracker): with QKR the product W_qk replaces W_q and W_k."""
        out = {}
        for b in self.blocks:
            a = b.attn
            if a.qk_quant is not None:
                out[f"{a.name}.qk"] = a.qk_quant.levels(a.qk_matrix())
                layers = (a.v, a.proj, b.fc1, b.fc2)
            else:
                layers = (a.q, a.k, a.v, a.proj, b.fc1, b.fc2)
            for layer in layers:
                lv = layer.levels()
                if lv is not None:
                    out[layer.name] = lv
        return out


def quantize(model: ViT, method: str, bits: int, images: Array) -> ViT:
    """A quantisation-aware copy of a trained ``model`` (W``bits``A``bits``, recipe
    ``method`` in :data:`METHODS`), activation steps calibrated on ``images``."""
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    bits = check_bits(bits)
    if bits < 2:
        raise ValueError(f"bits must be >= 2 for W/A quantisation, got {bits}")
    tape: dict[str, Array] = {}
    model(jnp.asarray(images), tape)
    act = lambda name: LSQQuantizer.init(tape[name], bits, signed=True, batch_axes=1)

    def weight_quant(layer: QLinear):
        if method == "lsq":
            return LSQQuantizer.init(layer.weight, bits, signed=True, axis=0)
        return StatsQuantizer(bits)

    def qlayer(layer: QLinear) -> QLinear:
        return eqx.tree_at(
            lambda m: (m.weight_quant, m.act_quant),
            layer,
            (weight_quant(layer), act(layer.name)),
            is_leaf=lambda x: x is None,
        )

    blocks = []
    for b in model.blocks:
        a = b.attn
        attn = eqx.tree_at(
            lambda m: (m.q, m.k, m.v, m.proj),
            a,
            (qlayer(a.q), qlayer(a.k), qlayer(a.v), qlayer(a.proj)),
        )
        if method == "ofq":
            # QKR: W_q, W_k stay full-precision parameters; their product is quantised.
            attn = eqx.tree_at(
                lambda m: (m.qk_quant, m.qkx_act),
                attn,
                (StatsQuantizer(bits), None),
                is_leaf=lambda x: x is None,
            )
            probe: dict[str, Array] = {}
            attn.logits(jnp.asarray(tape[a.q.name]), probe)
            attn = eqx.tree_at(
                lambda m: m.qkx_act,
                attn,
                LSQQuantizer.init(probe[f"{a.name}.qkx"], bits, batch_axes=1),
                is_leaf=lambda x: x is None,
            )
        else:
            attn = eqx.tree_at(
                lambda m: (m.q_act, m.k_act),
                attn,
                (act(f"{a.name}.q_out"), act(f"{a.name}.k_out")),
                is_leaf=lambda x: x is None,
            )
        blocks.append(
            eqx.tree_at(lambda m: (m.attn, m.fc1, m.fc2), b, (attn, qlayer(b.fc1), qlayer(b.fc2)))
        )
    return eqx.tree_at(lambda m: m.blocks, model, tuple(blocks))


def freeze_confident(model: ViT, boundary: float) -> tuple[ViT, float]:
    """Confidence-guided annealing's freeze: every quantised block linear layer's weights
    farther than ``boundary`` level spacings from a rounding boundary stop training.
    Returns the model and the frozen fraction. (With QKR, W_q and W_k are not frozen:
    their quantised product has no per-entry latent weight to freeze.)"""
    frozen_total, count = 0, 0
    new_blocks = []
    for b in model.blocks:
        layers = {"v": b.attn.v, "proj": b.attn.proj, "fc1": b.fc1, "fc2": b.fc2}
        if b.attn.qk_quant is None:
            layers.update(q=b.attn.q, k=b.attn.k)
        new = {}
        for key, layer in layers.items():
            if layer.weight_quant is None:
                new[key] = layer
                continue
            mask = cga_freeze_mask(layer.scaled(), boundary)
            frozen_total += int(jnp.sum(mask))
            count += mask.size
            new[key] = eqx.tree_at(lambda m: m.frozen, layer, mask, is_leaf=lambda x: x is None)
        attn = b.attn
        for key in ("q", "k", "v", "proj"):
            if key in new:
                attn = eqx.tree_at(lambda m, key=key: getattr(m, key), attn, new[key])
        b = eqx.tree_at(lambda m: (m.attn, m.fc1, m.fc2), b, (attn, new["fc1"], new["fc2"]))
        new_blocks.append(b)
    model = eqx.tree_at(lambda m: m.blocks, model, tuple(new_blocks))
    return model, frozen_total / max(1, count)


def accuracy(model: ViT, images: Array, labels: Array, batch: int = 512) -> float:
    """Top-1 accuracy on (images, labels), in batches."""
    images, labels = np.asarray(images), np.asarray(labels)
    correct = 0
    for i in range(0, len(labels), batch):
        correct += int(jnp.sum(_predict(model, images[i : i + batch]) == labels[i : i + batch]))
    return correct / len(labels)


@eqx.filter_jit
def _predict(model: ViT, images: Array) -> Array:
    return jnp.argmax(model(images), axis=-1)


__all__ = [
    "METHODS",
    "Attention",
    "Block",
    "QLinear",
    "ViT",
    "accuracy",
    "freeze_confident",
    "quantize",
]
