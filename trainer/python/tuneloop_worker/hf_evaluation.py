"""Loading a job's base model and adapter with transformers + peft for validation: the only
model-facing glue (evaluation.py does the rest, with the same forward interface). 4-bit NF4
on a CUDA GPU where the job trained that way (QLoRA), float32 on a CPU. Covered by
trainer/python/device_check.sh on a GPU machine."""
import torch
from peft import PeftModel
from transformers import AutoModelForCausalLM, AutoTokenizer, BitsAndBytesConfig

from .hf_training import resolve_base_model


def load(config, adapter_dir):
    """(PeftModel with the adapter, tokenizer, generate) for the job's config."""
    cuda = torch.cuda.is_available()
    quantized = cuda and config.get("quantization", "4bit") == "4bit"
    base = resolve_base_model(config["baseModel"])
    tokenizer = AutoTokenizer.from_pretrained(base)
    kwargs = {"torch_dtype": torch.bfloat16 if cuda else torch.float32}
    if quantized:
        kwargs["quantization_config"] = BitsAndBytesConfig(
            load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_use_double_quant=True, bnb_4bit_compute_dtype=torch.bfloat16
        )
    if cuda:
        kwargs["device_map"] = {"": 0}
    model = PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(base, **kwargs), adapter_dir)
    model.eval()
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id

    def generate(input_ids, attention_mask, max_new_tokens, temperature, top_k, seed):
        torch.manual_seed(seed)
        device = next(model.parameters()).device
        sampling = {"do_sample": True, "temperature": temperature, "top_k": top_k or None} if temperature > 0 else {"do_sample": False}
        with torch.no_grad():
            out = model.generate(
                input_ids=input_ids.to(device),
                attention_mask=attention_mask.to(device),
                max_new_tokens=max_new_tokens,
                pad_token_id=pad_id,
                **sampling
            )
        return [row[input_ids.shape[1] :].tolist() for row in out.cpu()]

    return model, tokenizer, generate
