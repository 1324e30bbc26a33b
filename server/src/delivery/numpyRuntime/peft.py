"""peft.PeftModel.from_pretrained for the numpy runner (see torch.py): the LoRA
adapter merged into the base weights, W + (lora_alpha / r) * B @ A, which is
what an unmerged PEFT LoRA layer computes in eval mode."""
from hf_llama_reference import merge_adapter


class PeftModel:
    @classmethod
    def from_pretrained(cls, model, adapter_dir):
        merge_adapter(model.weights, adapter_dir)
        return model
