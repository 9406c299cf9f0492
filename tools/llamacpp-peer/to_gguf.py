#!/usr/bin/env python3
"""Writes the text decoder of a Qwen2-VL safetensors folder (bf16) as a GGUF file of llama.cpp's "qwen2"
architecture, so that llama.cpp's llama-bench can decode with the same weights our `bench` measures.

Only what decode and prefill speed depend on is real: every decoder tensor, bit for bit in bf16, and the
hyperparameters. The vocabulary is a placeholder of the right size (the bench folder's tokenizer is a stub;
llama-bench feeds random token ids). M-RoPE over text positions is plain RoPE, which "qwen2" applies.

usage: to_gguf.py MODEL_DIR OUT.gguf   (needs numpy and llama.cpp's gguf-py on PYTHONPATH)
"""
import json
import struct
import sys

import numpy as np
import gguf


def tensors(path):
    """name -> (numpy view of the raw bf16 bits as uint16, shape) for every tensor of a safetensors file."""
    with open(path, "rb") as f:
        header_len = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(header_len))
    data = np.memmap(path, dtype=np.uint8, mode="r", offset=8 + header_len)
    out = {}
    for name, t in header.items():
        if name == "__metadata__":
            continue
        if t["dtype"] != "BF16":
            raise SystemExit(f"{name}: dtype {t['dtype']}, this script takes bf16 checkpoints only")
        start, end = t["data_offsets"]
        out[name] = (data[start:end].view(np.uint16).reshape(t["shape"]), t["shape"])
    return out


def main(model_dir, out_path):
    config = json.load(open(f"{model_dir}/config.json"))
    text = config.get("text_config", config)
    weights = tensors(f"{model_dir}/model.safetensors")
    layers, vocab = text["num_hidden_layers"], text["vocab_size"]

    w = gguf.GGUFWriter(out_path, "qwen2")
    w.add_name("qwen2vl-2b-random (text decoder)")
    w.add_context_length(text.get("max_position_embeddings", 32768))
    w.add_embedding_length(text["hidden_size"])
    w.add_block_count(layers)
    w.add_feed_forward_length(text["intermediate_size"])
    w.add_head_count(text["num_attention_heads"])
    w.add_head_count_kv(text["num_key_value_heads"])
    w.add_rope_freq_base(text["rope_theta"])
    w.add_layer_norm_rms_eps(text["rms_norm_eps"])
    w.add_file_type(gguf.LlamaFileType.MOSTLY_BF16)

    # a placeholder byte-level vocabulary of the model's size: llama-bench only needs its size
    w.add_tokenizer_model("gpt2")
    w.add_tokenizer_pre("qwen2")
    tokens = [f"<t{i}>" for i in range(vocab)]
    types = [gguf.TokenType.NORMAL] * vocab
    for special in (config["bos_token_id"], config["eos_token_id"]):
        types[special] = gguf.TokenType.CONTROL
    w.add_token_list(tokens)
    w.add_token_types(types)
    w.add_token_merges(["< t"])
    w.add_bos_token_id(config["bos_token_id"])
    w.add_eos_token_id(config["eos_token_id"])

    def put(gguf_name, hf_name):
        bits, shape = weights[hf_name]
        if len(shape) == 1:  # norms and biases in f32, as llama.cpp's own converter keeps them (exact: bf16 widens)
            w.add_tensor(gguf_name, (bits.astype(np.uint32) << 16).view(np.float32))
        else:
            w.add_tensor(gguf_name, bits, raw_shape=shape, raw_dtype=gguf.GGMLQuantizationType.BF16)

    put("token_embd.weight", "model.embed_tokens.weight")
    put("output_norm.weight", "model.norm.weight")
    put("output.weight", "lm_head.weight" if "lm_head.weight" in weights else "model.embed_tokens.weight")
    for i in range(layers):
        p = f"model.layers.{i}."
        put(f"blk.{i}.attn_norm.weight", p + "input_layernorm.weight")
        for x in "qkv":
            put(f"blk.{i}.attn_{x}.weight", p + f"self_attn.{x}_proj.weight")
            put(f"blk.{i}.attn_{x}.bias", p + f"self_attn.{x}_proj.bias")
        put(f"blk.{i}.attn_output.weight", p + "self_attn.o_proj.weight")
        put(f"blk.{i}.ffn_norm.weight", p + "post_attention_layernorm.weight")
        put(f"blk.{i}.ffn_gate.weight", p + "mlp.gate_proj.weight")
        put(f"blk.{i}.ffn_up.weight", p + "mlp.up_proj.weight")
        put(f"blk.{i}.ffn_down.weight", p + "mlp.down_proj.weight")

    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    main(sys.argv[1], sys.argv[2])
