"""The memory model of a LoRA run on transformers + peft, in the shared form of
shared/memoryModel.ts: coefficients (a profile) of one formula, evaluated the
same way here, by the TypeScript engine and by the server's failure guidance,
which sizes a retry from the profile reported with an OutOfMemoryError.
No torch or transformers here: the model's config is any object with the
Hugging Face attribute names."""
from .failures import OutOfMemoryError

CUDA_CONTEXT_BYTES = 1.5 * 2**30  # CUDA context and allocator slack
NF4_BYTES_PER_PARAM = 0.56  # 4-bit NF4 with double quantization


BF16_BYTES_PER_PARAM = 2  # the trainer loads unquantized weights in bfloat16 on a GPU, float32 on a CPU


def memory_profile(model_config, n_targets, quantized, can_quantize):
    """A rough, high-side profile of peak memory; the same terms as gpuLoraProfile in shared/memoryModel.ts."""
    h = model_config.hidden_size
    layers = model_config.num_hidden_layers
    inter = model_config.intermediate_size
    vocab = model_config.vocab_size
    kv = h * getattr(model_config, "num_key_value_heads", model_config.num_attention_heads) // model_config.num_attention_heads
    params = 2 * vocab * h + layers * (2 * h * h + 2 * h * kv + 3 * h * inter)
    unquantized = BF16_BYTES_PER_PARAM if can_quantize else 4
    weights = params * (NF4_BYTES_PER_PARAM if quantized else unquantized)
    return {
        "fixedBytes": weights + CUDA_CONTEXT_BYTES,
        "bytesPerRank": layers * n_targets * 2 * max(h, inter) * 4 * 4,  # weights, grads, two AdamW moments (fp32)
        "bytesPerToken": layers * h * 2 * 6 + vocab * 4 * 3,  # checkpointed layer inputs; logits, softmax, grads
        "bytesPerTokenPosition": 0,
        "fourBitSavingBytes": params * (unquantized - NF4_BYTES_PER_PARAM) if can_quantize and not quantized else None,
    }


def bytes_needed(profile, batch_size, seq_length, rank):
    """shared/memoryModel.ts bytesNeeded, for the run as it is loaded (the server weighs 4-bit loading)."""
    tokens = batch_size * seq_length
    return (
        profile["fixedBytes"]
        + profile["bytesPerRank"] * rank
        + tokens * (profile["bytesPerToken"] + profile["bytesPerTokenPosition"] * seq_length)
    )


def largest_batch_that_fits(profile, batch_size, seq_length, rank, effective_batch, available_bytes):
    """The largest micro-batch that fits and divides the effective batch; 0 when none does."""
    for b in range(min(batch_size, effective_batch), 0, -1):
        if effective_batch % b == 0 and bytes_needed(profile, b, seq_length, rank) <= available_bytes:
            return b
    return 0


def memory_facts(profile, required, available, limit, seq_length, where=None):
    facts = {
        "memory": {"requiredBytes": required, "availableBytes": available, "limit": limit, "seqLength": seq_length, "profile": profile}
    }
    return {**facts, "where": where} if where else facts


def check_memory(profile, hp, available, limit, where=None):
    """Raises OutOfMemoryError (with the facts the server sizes a retry from) when the run would not fit."""
    batch, seq, rank = hp["batchSize"], hp["maxSeqLength"], hp["rank"]
    need = bytes_needed(profile, batch, seq, rank)
    if need <= available:
        return need
    effective = batch * hp.get("gradientAccumulationSteps", 1)
    fit = largest_batch_that_fits(profile, batch, seq, rank, effective, available)
    advice = (
        f"use batch size {fit} with {effective // fit} accumulation steps (same effective batch of {effective})"
        if fit
        else f"shorten max_seq_length ({seq}), lower the rank or use a larger GPU"
    )
    gb = lambda n: f"{n / 2**30:.1f} GB"  # noqa: E731
    raise OutOfMemoryError(
        f"batch_size={batch} needs {gb(need)} but the worker allows {gb(available)}: {advice}",
        need,
        available,
        fit,
        memory_facts(profile, need, available, limit, seq, where),
    )
