"""evaluation.py with a tiny torch model: batching, masking, adapter on/off, scoring, generation, reporting."""
import math
import os
import sys
import types
import unittest

import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from tuneloop_worker import evaluation  # noqa: E402
from tuneloop_worker.chat_tokens import split  # noqa: E402

from .tiny_model import CHARS, SPECIAL, VOCAB, CharTokenizer, TinyLM, sample_generate  # noqa: E402

TOK = CharTokenizer()
CHATS = [
    {"messages": [{"role": "user", "content": q}, {"role": "assistant", "content": a}]}
    for q, a in [
        ("how big should my emergency fund be?", "three to six months of expenses."),
        ("pay the card first?", "yes, the high interest card first."),
        ("index fund?", "a low cost index fund is a good start."),
        ("life insurance?", "only if someone depends on your income."),
        ("hi", "hello! how can i help?"),
        ("budget tips?", "track every expense for a month."),
    ]
] + [
    {
        "messages": [
            {"role": "system", "content": "be kind"},
            {"role": "user", "content": "and now?"},
            {"role": "assistant", "content": "save first."},
            {"role": "user", "content": "ok"},
            {"role": "assistant", "content": "good."},
        ]
    }
]
SETTINGS = {"seed": 7, "validationFraction": 0.5, "maxSeqLength": 64, "generation": {"maxNewTokens": 6, "temperature": 0.7, "topK": 5}}


def reference_perplexity(model, chats, max_len):
    """One conversation at a time, no padding: the sum of -log p(label) over assistant tokens."""
    total, tokens = 0.0, 0
    for chat in chats:
        ids, labels = [], []
        for i, m in enumerate(chat["messages"]):
            upto = TOK.apply_chat_template(chat["messages"][: i + 1])
            new = upto[len(ids) :]
            ids = upto
            labels += new if m["role"] == "assistant" else [None] * len(new)
        ids, labels = ids[:max_len], labels[:max_len]
        with torch.no_grad():
            logp = torch.log_softmax(
                model(input_ids=torch.tensor([ids]), attention_mask=torch.ones(1, len(ids), dtype=torch.long)).logits[0], dim=-1
            )
        for t in range(1, len(ids)):
            if labels[t] is not None:
                total -= logp[t - 1, labels[t]].item()
                tokens += 1
    return total / tokens, tokens


class PerplexityTest(unittest.TestCase):
    def test_batched_and_padded_equals_one_conversation_at_a_time(self):
        model = TinyLM()
        loss, tokens = reference_perplexity(model, CHATS, 64)
        for batch_size in (1, 3, 8):
            result = evaluation.perplexity(model, TOK, CHATS, 64, batch_size)
            self.assertAlmostEqual(result["loss"], loss, places=5)
            self.assertAlmostEqual(result["perplexity"] / math.exp(loss), 1, places=6)
            self.assertEqual(result["tokens"], tokens)
            self.assertEqual(result["conversations"], len(CHATS))

    def test_only_assistant_tokens_carry_loss_and_max_len_truncates(self):
        # Each assistant turn: its role token, its characters and <end>.
        expected = sum(1 + len(TOK.encode(m["content"])) + 1 for c in CHATS for m in c["messages"] if m["role"] == "assistant")
        self.assertEqual(evaluation.perplexity(TinyLM(), TOK, CHATS, 1000)["tokens"], expected)
        longer_questions = [
            {"messages": [{"role": "user", "content": c["messages"][-2]["content"] + " really"}, c["messages"][-1]]} for c in CHATS
        ]
        self.assertEqual(
            evaluation.perplexity(TinyLM(), TOK, longer_questions, 1000)["tokens"],
            sum(1 + len(TOK.encode(c["messages"][-1]["content"])) + 1 for c in CHATS),
        )
        self.assertLess(evaluation.perplexity(TinyLM(), TOK, CHATS, 20)["tokens"], expected)
        with self.assertRaisesRegex(ValueError, "no held-out conversation"):
            evaluation.perplexity(TinyLM(), TOK, CHATS, 3)

    def test_base_side_is_the_model_with_its_adapter_disabled(self):
        model = TinyLM()
        with evaluation.side(model, "BASE"):
            base = evaluation.perplexity(model, TOK, CHATS, 64)
        adapted = evaluation.perplexity(model, TOK, CHATS, 64)
        without = TinyLM()
        without.lora_B.data.zero_()
        self.assertAlmostEqual(base["loss"], evaluation.perplexity(without, TOK, CHATS, 64)["loss"], places=6)
        self.assertNotAlmostEqual(base["loss"], adapted["loss"], places=3)
        self.assertTrue(model.adapter_enabled)

    def test_held_out_is_the_trainers_split(self):
        train, held = split(CHATS, 7, 0.5)
        self.assertEqual(evaluation.held_out(CHATS, SETTINGS), held)
        self.assertEqual(len(held), round(len(CHATS) * 0.5))
        self.assertFalse([c for c in held if c in train])
        self.assertTrue(any(evaluation.held_out(CHATS, {**SETTINGS, "seed": s}) != held for s in range(8, 12)))


class MultipleChoiceTest(unittest.TestCase):
    def test_mean_log_probability_wins_not_the_sum(self):
        class PrefersA(TinyLM):
            """Every position prefers "a": a long run of "a" is likelier per token, a single "b" likelier in sum."""

            def forward(self, input_ids, attention_mask):
                logits = torch.zeros(*input_ids.shape, VOCAB)
                logits[..., len(SPECIAL) + CHARS.index("a")] = 3.0
                return types.SimpleNamespace(logits=logits)

        model = PrefersA()
        options = ["b", "aaaaaaaa"]
        self.assertEqual(evaluation.choose_options(model, TOK, "which?", options), 1)
        rows = [
            evaluation.tokenize_chat(TOK, {"messages": [{"role": "user", "content": "which?"}, {"role": "assistant", "content": o}]}, 100)
            for o in options
        ]
        sums = [-n for n, _ in evaluation.row_nll(model, rows, 0, 8)]
        self.assertGreater(sums[0], sums[1])

    def test_batched_scores_pick_the_same_option_as_one_at_a_time(self):
        model = TinyLM(seed=3)
        options = ["three months", "never", "a year or more of savings"]
        batched = evaluation.choose_options(model, TOK, "how big?", options, batch_size=8)
        scores = []
        for o in options:
            row = evaluation.tokenize_chat(
                TOK, {"messages": [{"role": "user", "content": "how big?"}, {"role": "assistant", "content": o}]}, 100
            )
            n, t = evaluation.row_nll(model, [row], 0, 1)[0]
            scores.append(-n / t)
        self.assertEqual(batched, scores.index(max(scores)))


class GenerationTest(unittest.TestCase):
    PROMPTS = [
        {"messages": [{"role": "system", "content": "be kind"}, {"role": "user", "content": q}]}
        for q in ["hi", "how big should my emergency fund be?", "ok"]
    ]

    def test_left_padding_leaves_each_reply_as_if_alone(self):
        model = TinyLM(seed=1)
        greedy = {"maxNewTokens": 8, "temperature": 0, "topK": 0}
        together = evaluation.generate_replies(sample_generate(model), TOK, self.PROMPTS, greedy, 1)
        alone = [evaluation.generate_replies(sample_generate(model), TOK, [p], greedy, 1)[0] for p in self.PROMPTS]
        self.assertEqual(together, alone)

    def test_sampling_follows_the_seed_and_text_ends_at_eos(self):
        model = TinyLM(seed=2)
        settings = SETTINGS["generation"]
        first = evaluation.generate_replies(sample_generate(model), TOK, self.PROMPTS, settings, 11)
        self.assertEqual(first, evaluation.generate_replies(sample_generate(model), TOK, self.PROMPTS, settings, 11))
        self.assertNotEqual(
            first, evaluation.generate_replies(sample_generate(model), TOK, self.PROMPTS, {**settings, "maxNewTokens": 30}, 12)
        )

        def eos_after_two(ids, mask, n, t, k, seed):
            return [[len(SPECIAL), len(SPECIAL) + 1, SPECIAL["<eos>"], len(SPECIAL)] for _ in range(ids.shape[0])]

        self.assertEqual(evaluation.generate_replies(eos_after_two, TOK, self.PROMPTS[:1], settings, 0), ["ab"])


class RunTasksTest(unittest.TestCase):
    TASKS = [
        {"key": "perplexity:base", "kind": "PERPLEXITY", "model": "BASE"},
        {"key": "perplexity:adapted", "kind": "PERPLEXITY", "model": "ADAPTED"},
        {
            "key": "knowledge:adapted:0",
            "kind": "MULTIPLE_CHOICE",
            "model": "ADAPTED",
            "questions": [
                {"id": "q1", "question": "2+2?", "options": ["4", "5", "22"]},
                {"id": "q2", "question": "sky?", "options": ["blue", "green"]},
            ],
        },
        {
            "key": "review:base:0",
            "kind": "GENERATE",
            "model": "BASE",
            "prompts": [{"scenarioId": "s1", "messages": [{"role": "user", "content": "i lost my job"}]}],
        },
    ]

    def test_reports_each_task_once_in_order_with_the_servers_shapes(self):
        model = TinyLM()
        reported = []
        done = evaluation.run_tasks(
            self.TASKS, model, TOK, CHATS, SETTINGS, sample_generate(model), 5, lambda key, result: reported.append((key, result)) or True
        )
        self.assertTrue(done)
        self.assertEqual([k for k, _ in reported], [t["key"] for t in self.TASKS])
        shapes = [set(r) for _, r in reported]
        self.assertEqual(shapes, [{"loss", "perplexity", "tokens", "conversations", "ms"}] * 2 + [{"best", "ms"}, {"texts", "ms"}])
        base, adapted = reported[0][1], reported[1][1]
        self.assertEqual(base["conversations"], len(evaluation.held_out(CHATS, SETTINGS)))
        with evaluation.side(model, "BASE"):
            self.assertAlmostEqual(
                base["loss"], evaluation.perplexity(model, TOK, evaluation.held_out(CHATS, SETTINGS), 64)["loss"], places=6
            )
        self.assertNotAlmostEqual(base["loss"], adapted["loss"], places=3)
        self.assertEqual(len(reported[2][1]["best"]), 2)
        self.assertEqual(len(reported[3][1]["texts"]), 1)

    def test_stops_at_the_first_refused_report(self):
        model = TinyLM()
        seen = []
        done = evaluation.run_tasks(
            self.TASKS, model, TOK, CHATS, SETTINGS, sample_generate(model), 5, lambda key, result: seen.append(key) and False
        )
        self.assertFalse(done)
        self.assertEqual(seen, ["perplexity:base"])


if __name__ == "__main__":
    unittest.main()
