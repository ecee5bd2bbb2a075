"""labs.attention arithmetic: head averaging, attention rollout, saliency, stacking layers; names.n_layers."""

import numpy as np
import pytest

from seqviz.labs.attention import attention_rollout, head_average, saliency, stack_layers
from seqviz.names import act_name, n_layers
from tests.helpers import softmax_rows


def test_head_average_shape_and_value():
    patterns = softmax_rows((3, 4, 5, 5))
    averaged = head_average(patterns)
    assert averaged.shape == (3, 5, 5)
    np.testing.assert_allclose(averaged[1], patterns[1].mean(0))
    with pytest.raises(ValueError, match=r"\[layer, head, q, k\]"):
        head_average(patterns[0])


@pytest.mark.parametrize("add_residual", [True, False])
def test_rollout_rows_sum_to_one(add_residual):
    rollout = attention_rollout(softmax_rows((3, 4, 7, 7)), add_residual=add_residual)
    assert rollout.shape == (7, 7)
    np.testing.assert_allclose(rollout.sum(-1), 1.0, atol=1e-12)
    assert (rollout >= 0).all()


def test_rollout_of_identity_attention_is_identity():
    patterns = np.broadcast_to(np.eye(6), (2, 3, 6, 6))
    np.testing.assert_allclose(attention_rollout(patterns), np.eye(6))
    np.testing.assert_allclose(attention_rollout(patterns, add_residual=False), np.eye(6))


def test_rollout_matches_hand_calculation_for_two_layers():
    # Layer 0: both heads agree; layer 1: heads differ and average to [[.5, .5], [.3, .7]].
    layer0 = np.array([[[1.0, 0.0], [0.5, 0.5]]] * 2)
    layer1 = np.array([[[0.6, 0.4], [0.2, 0.8]], [[0.4, 0.6], [0.4, 0.6]]])
    patterns = np.stack([layer0, layer1])  # [layer=2, head=2, 2, 2]
    a0 = 0.5 * np.array([[1.0, 0.0], [0.5, 0.5]]) + 0.5 * np.eye(2)  # [[1, 0], [.25, .75]]
    a1 = 0.5 * np.array([[0.5, 0.5], [0.3, 0.7]]) + 0.5 * np.eye(2)  # [[.75, .25], [.15, .85]]
    expected = np.array([[0.75 + 0.25 * 0.25, 0.25 * 0.75], [0.15 + 0.85 * 0.25, 0.85 * 0.75]])
    np.testing.assert_allclose(a1 @ a0, expected)
    np.testing.assert_allclose(attention_rollout(patterns), expected)


def test_rollout_rejects_non_square():
    with pytest.raises(ValueError, match="square"):
        attention_rollout(softmax_rows((2, 2, 3, 4)))


def test_saliency_is_l2_norm_over_d_model():
    grad = np.zeros((2, 3, 4))
    grad[0, 1] = [3.0, 4.0, 0.0, 0.0]
    grad[1, 2] = [0.0, 0.0, 1.0, 0.0]
    np.testing.assert_allclose(saliency(grad), [[0, 5, 0], [0, 0, 1]])
    assert saliency(grad[0]).shape == (1, 3)  # one scalar's gradient [src, d_model]
    with pytest.raises(ValueError):
        saliency(np.zeros(3))


def test_stack_layers_and_n_layers():
    tensors = {
        f"encoder.layers.{i}.self_attn.hook_pattern": softmax_rows((4, 5, 5), seed=i) for i in range(3)
    }
    tensors["encoder.hook_embed"] = np.zeros((5, 8))
    tensors["decoder.layers.0.cross_attn.hook_pattern"] = softmax_rows((4, 2, 5))
    tensors["decoder.layers.1.cross_attn.hook_pattern"] = softmax_rows((4, 2, 5))
    assert n_layers(tensors, "encoder") == 3
    assert n_layers(tensors, "decoder") == 2
    assert n_layers(tensors, "rnn") == 0
    stacked = stack_layers(tensors, [act_name("encoder self", i) for i in range(3)])
    assert stacked.shape == (3, 4, 5, 5)
    np.testing.assert_array_equal(stacked[2], tensors["encoder.layers.2.self_attn.hook_pattern"])
    with pytest.raises(KeyError, match="encoder.layers.3"):
        stack_layers(tensors, [act_name("encoder self", i) for i in range(4)])


def test_n_layers_rejects_gaps():
    with pytest.raises(ValueError, match="not numbered"):
        n_layers({"encoder.layers.0.hook_resid_post": 0, "encoder.layers.2.hook_resid_post": 0}, "encoder")
