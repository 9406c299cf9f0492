"""A three-turn conversation about one photo, sent whole with every turn as OpenAI clients send it, against a
running `bin/qwen2vl4j serve`; prints each turn's time and how many prompt tokens came from the prompt cache.

    python3 tools/prompt-cache-turns/turns.py PORT      (run from the repository root)
"""
import json, time, base64, urllib.request, sys
port = int(sys.argv[1])
img = base64.b64encode(open('fixtures/images/photo_800x600.jpg','rb').read()).decode()
def post(msgs):
    body = json.dumps({"messages": msgs, "temperature": 0, "max_tokens": 8, "ignore_eos": True}).encode()
    t = time.time()
    r = urllib.request.urlopen(urllib.request.Request(f"http://127.0.0.1:{port}/v1/chat/completions", body, {"Content-Type": "application/json"}), timeout=900)
    j = json.load(r)
    return time.time() - t, j
msgs = [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "data:image/jpeg;base64," + img}, "max_pixels": 200704},
                                     {"type": "text", "text": "What is in this picture?"}]}]
answers = []
for turn, follow in enumerate(["And what colour is it?", "Where was it taken?", None]):
    t, j = post(msgs)
    u = j["usage"]
    answers.append(j["choices"][0]["message"]["content"])
    print(f"turn {turn + 1}: {t:6.2f} s  prompt {u['prompt_tokens']} tokens, image {u['prompt_tokens_details']['image_tokens']}, cached {u['prompt_tokens_details']['cached_tokens']}", flush=True)
    if follow is None: break
    msgs = msgs + [{"role": "assistant", "content": j["choices"][0]["message"]["content"]}, {"role": "user", "content": follow}]
print("answers:", json.dumps(answers))
