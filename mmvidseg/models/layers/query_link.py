# Copyright (c) OpenMMLab. All rights reserved.
import torch.nn as nn
from mmcv.cnn.bricks.transformer import FFN, MultiheadAttention
from torch import Tensor


class QueryLink(nn.Module):
    """Cross-tube link of Tube-Link: the key tube's queries attend to the
    reference tube's queries (multi-head attention with a residual), then
    LN, FFN (with its own residual), LN (the official ``link_thing_query``;
    parameter names as the official ``attention_previous_track`` ... layers,
    grouped here).

    Args:
        embed_dims (int): Query channels C.
        num_heads (int): Attention heads. Defaults to 8.
        feedforward_channels (int): FFN hidden channels. Defaults to 1024.
    """

    def __init__(self,
                 embed_dims: int,
                 num_heads: int = 8,
                 feedforward_channels: int = 1024) -> None:
        super().__init__()
        self.attention = MultiheadAttention(
            embed_dims, num_heads, attn_drop=0., batch_first=True)
        self.attention_norm = nn.LayerNorm(embed_dims)
        self.ffn = FFN(
            embed_dims,
            feedforward_channels,
            num_fcs=2,
            act_cfg=dict(type='ReLU', inplace=True),
            ffn_drop=0.)
        self.ffn_norm = nn.LayerNorm(embed_dims)

    def forward(self, key: Tensor, ref: Tensor) -> Tensor:
        """Link key queries (N, Q, C) to reference queries (N, Q', C).

        Returns:
            Tensor: The linked key queries (N, Q, C).
        """
        x = self.attention_norm(
            self.attention(query=key, key=ref, value=ref, identity=key))
        return self.ffn_norm(self.ffn(x))
