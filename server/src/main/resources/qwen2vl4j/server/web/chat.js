// The qwen2vl4j chat page: one conversation at a time, answers streamed from POST /v1/chat/completions.
// No dependencies. Model output is always escaped before any markup is added (see renderMarkdown).
'use strict';
(() => {
  const KEY_STORE = 'qwen2vl4j.apiKey';
  const $ = (id) => document.getElementById(id);
  const ui = {
    log: $('log'), empty: $('empty'), notice: $('notice'), attachments: $('attachments'), composer: $('composer'),
    prompt: $('prompt'), file: $('file'), send: $('send'), stop: $('stop'), newChat: $('new-chat'),
    settings: $('settings'), settingsToggle: $('settings-toggle'), hint: $('settings-hint'), modelName: $('model-name'),
    system: $('set-system'), maxPixels: $('set-max-pixels'), temperature: $('set-temperature'), maxTokens: $('set-max-tokens'),
    keyDialog: $('key-dialog'), keyForm: $('key-form'), keyInput: $('key-input'),
  };

  let limits = null;          // GET /v1/limits, once the server answered
  let modelId = '';
  let conversation = newConversation();
  let pending = [];           // attachments for the next message: {kind, name, url, width, height, bytes}
  let running = null;         // {controller} while an answer streams
  let extra = {};             // request fields the page has no control for (set through the test hook)

  function newConversation() {
    return { messages: [], firstImage: null, settings: { system: '', maxPixels: '', temperature: '', maxTokens: '512' } };
  }

  // ------------------------------------------------------------------ small helpers

  function el(tag, className, text) {
    const e = document.createElement(tag);
    if (className) e.className = className;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function escapeHtml(s) {
    return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
  }

  function mb(bytes) {
    return (bytes / (1 << 20)).toFixed(1) + ' MB';
  }

  function notice(text) {
    ui.notice.textContent = text;
    ui.notice.hidden = !text;
  }

  function apiHeaders() {
    const h = { 'Content-Type': 'application/json' };
    const key = sessionStorage.getItem(KEY_STORE);
    if (key) h.Authorization = 'Bearer ' + key;
    return h;
  }

  function scrollDown() {
    ui.log.scrollTop = ui.log.scrollHeight;
  }

  // An OpenAI-style error body ({"error": {"message", "param"}}) as one line; anything else as its status.
  async function errorText(response) {
    let text = '';
    try { text = await response.text(); } catch (e) { /* body unreadable */ }
    try {
      const err = JSON.parse(text).error;
      if (err && err.message) return 'Error ' + response.status + ': ' + err.message;
    } catch (e) { /* not JSON */ }
    return 'Error ' + response.status + (response.statusText ? ' ' + response.statusText : '') + (text ? ': ' + text.slice(0, 300) : '');
  }

  // ------------------------------------------------------------------ limits and the API key

  async function loadLimits() {
    let response;
    try {
      response = await fetch('v1/limits', { headers: apiHeaders() });
    } catch (e) {
      notice('Cannot reach the server: ' + e.message);
      return;
    }
    if (response.status === 401) {
      sessionStorage.removeItem(KEY_STORE);
      askKey();
      return;
    }
    if (!response.ok) {
      notice(await errorText(response));
      return;
    }
    limits = await response.json();
    ui.hint.textContent = 'Server: requests up to ' + mb(limits.max_body_bytes) + ', ' + limits.max_media_items
      + ' images or videos each; images are resized to ' + limits.min_pixels + '–' + limits.max_pixels
      + ' pixels by default (one visual token per ' + limits.pixels_per_token + ' pixels).';
    try {
      const models = await (await fetch('v1/models', { headers: apiHeaders() })).json();
      modelId = models.data[0].id;
      ui.modelName.textContent = modelId;
    } catch (e) { /* the name is decoration */ }
  }

  function askKey() {
    ui.keyInput.value = '';
    if (!ui.keyDialog.open) ui.keyDialog.showModal();
  }

  ui.keyForm.addEventListener('submit', () => {
    const key = ui.keyInput.value.trim();
    if (key) sessionStorage.setItem(KEY_STORE, key);
    loadLimits();
  });

  // ------------------------------------------------------------------ attachments

  // A data URL of n bytes takes about 4n/3 characters in the JSON body.
  function dataUrlBytes(bytes) {
    return Math.ceil(bytes / 3) * 4 + 64;
  }

  function mediaCount() {
    let n = pending.length;
    for (const m of conversation.messages) if (Array.isArray(m.content)) n += m.content.filter((p) => p.type !== 'text').length;
    return n;
  }

  function addFiles(files) {
    for (const file of files) {
      const kind = file.type.startsWith('image/') ? 'image' : file.type.startsWith('video/') ? 'video' : null;
      if (!kind) {
        notice(file.name + ' is not an image or a video (' + (file.type || 'unknown type') + ')');
        continue;
      }
      if (limits) {
        const room = limits.max_body_bytes - 4096;
        if (dataUrlBytes(file.size) > room) {
          notice(file.name + ' is ' + mb(file.size) + ': too large for this server, whose requests hold at most '
            + mb(limits.max_body_bytes) + ' (about ' + mb(room * 3 / 4) + ' of media, sent as base64). '
            + 'Send a smaller file, or start the server with a larger --max-body-mb.');
          continue;
        }
        if (mediaCount() >= limits.max_media_items) {
          notice(file.name + ' not attached: this server takes at most ' + limits.max_media_items + ' images and videos per conversation request.');
          continue;
        }
      }
      const item = { kind, name: file.name, url: null, width: 0, height: 0, bytes: file.size };
      pending.push(item);
      const reader = new FileReader();
      reader.onload = () => {
        item.url = reader.result;
        if (kind === 'image') {
          const img = new Image();
          img.onload = () => { item.width = img.naturalWidth; item.height = img.naturalHeight; renderPending(); };
          img.onerror = () => { dropPending(item); notice(file.name + ' could not be read as an image'); };
          img.src = item.url;
        } else {
          renderPending();
        }
      };
      reader.onerror = () => { dropPending(item); notice('Cannot read ' + file.name + ': ' + reader.error); };
      reader.readAsDataURL(file);
    }
    renderPending();
  }

  function dropPending(item) {
    pending = pending.filter((p) => p !== item);
    renderPending();
  }

  function mediaElement(kind, url, name) {
    const m = el(kind === 'image' ? 'img' : 'video');
    m.src = url;
    m.title = name || '';
    if (kind === 'image') m.alt = name || 'image';
    else { m.muted = true; m.controls = true; }
    return m;
  }

  function renderPending() {
    ui.attachments.replaceChildren();
    for (const item of pending) {
      if (!item.url) continue;
      const t = el('div', 'thumb');
      t.append(mediaElement(item.kind, item.url, item.name));
      const x = el('button', null, '×');
      x.type = 'button';
      x.title = 'Remove ' + item.name;
      x.addEventListener('click', () => dropPending(item));
      t.append(x);
      ui.attachments.append(t);
    }
  }

  ui.file.addEventListener('change', () => { addFiles(ui.file.files); ui.file.value = ''; });
  document.addEventListener('paste', (e) => {
    const files = [...(e.clipboardData ? e.clipboardData.files : [])];
    if (files.length) { e.preventDefault(); addFiles(files); }
  });
  document.addEventListener('dragover', (e) => { e.preventDefault(); document.body.classList.add('dragging'); });
  document.addEventListener('dragleave', (e) => { if (!e.relatedTarget) document.body.classList.remove('dragging'); });
  document.addEventListener('drop', (e) => {
    e.preventDefault();
    document.body.classList.remove('dragging');
    if (e.dataTransfer && e.dataTransfer.files.length) addFiles(e.dataTransfer.files);
  });

  // ------------------------------------------------------------------ markdown and grounding

  const REF = /<\|object_ref_start\|>([\s\S]*?)<\|object_ref_end\|>/g;
  const BOX = /<\|box_start\|>\s*\((\d+(?:\.\d+)?),\s*(\d+(?:\.\d+)?)\)\s*,\s*\((\d+(?:\.\d+)?),\s*(\d+(?:\.\d+)?)\)\s*<\|box_end\|>/g;

  // Boxes in an answer's text, as fractions of the image (Qwen2-VL writes them on a 0-1000 grid); a box takes
  // the label of the object reference just before it.
  function parseBoxes(text) {
    const boxes = [];
    const tags = /<\|object_ref_start\|>([\s\S]*?)<\|object_ref_end\|>|<\|box_start\|>\s*\((\d+(?:\.\d+)?),\s*(\d+(?:\.\d+)?)\)\s*,\s*\((\d+(?:\.\d+)?),\s*(\d+(?:\.\d+)?)\)\s*<\|box_end\|>/g;
    let label = '';
    for (const m of text.matchAll(tags)) {
      if (m[1] !== undefined) { label = m[1].trim(); continue; }
      const [x1, y1, x2, y2] = [m[2], m[3], m[4], m[5]].map((v) => Math.min(Math.max(Number(v) / 1000, 0), 1));
      boxes.push({ label, x1, y1, x2, y2 });
      label = '';
    }
    return boxes;
  }

  // Inline markdown on already escaped text: `code`, **bold**, *italic* / _italic_.
  function inline(escaped) {
    return escaped.split(/(`[^`\n]+`)/).map((part, i) => {
      if (i % 2 === 1) return '<code>' + part.slice(1, -1) + '</code>';
      return part.replace(/\*\*(?=\S)([\s\S]*?\S)\*\*/g, '<strong>$1</strong>')
        .replace(/(^|[^*\w])\*(?=\S)([^*\n]*?\S)\*(?!\w)/g, '$1<em>$2</em>')
        .replace(/(^|[^_\w])_(?=\S)([^_\n]*?\S)_(?!\w)/g, '$1<em>$2</em>');
    }).join('');
  }

  // Paragraphs, fenced code, lists and headings. Every piece of source text goes through escapeHtml; only fixed
  // tags are added around it, so model output cannot inject markup. Grounding tags become placeholders first
  // (private-use characters) and then small labelled spans.
  function renderMarkdown(text) {
    let n = 0;
    const src = text.replace(/[\uE000-\uE003]/g, '')      // the placeholders below must come from the tags alone
      .replace(REF, (m, label) => '\uE000' + label + '\uE001')
      .replace(BOX, () => '\uE002' + (++n) + '\uE003');
    const lines = src.split('\n');
    const out = [];
    let i = 0;
    while (i < lines.length) {
      const line = lines[i];
      if (/^\s*```/.test(line)) {
        const code = [];
        i++;
        while (i < lines.length && !/^\s*```/.test(lines[i])) code.push(lines[i++]);
        i++;
        out.push('<pre><code>' + escapeHtml(code.join('\n')) + '</code></pre>');
      } else if (/^\s*([-*+]|\d+[.)])\s+/.test(line)) {
        const ordered = /^\s*\d+[.)]\s+/.test(line);
        const items = [];
        while (i < lines.length && (ordered ? /^\s*\d+[.)]\s+/ : /^\s*[-*+]\s+/).test(lines[i])) {
          items.push('<li>' + inline(escapeHtml(lines[i].replace(/^\s*([-*+]|\d+[.)])\s+/, ''))) + '</li>');
          i++;
        }
        out.push((ordered ? '<ol>' : '<ul>') + items.join('') + (ordered ? '</ol>' : '</ul>'));
      } else if (/^#{1,6}\s+/.test(line)) {
        out.push('<h4>' + inline(escapeHtml(line.replace(/^#{1,6}\s+/, ''))) + '</h4>');
        i++;
      } else if (!line.trim()) {
        i++;
      } else {
        const para = [];
        while (i < lines.length && lines[i].trim() && !/^\s*(```|([-*+]|\d+[.)])\s+|#{1,6}\s)/.test(lines[i])) para.push(lines[i++]);
        out.push('<p>' + para.map((l) => inline(escapeHtml(l))).join('<br>') + '</p>');
      }
    }
    return out.join('')
      .replace(/\uE000([\s\S]*?)\uE001/g, '<span class="ref">$1</span>')
      .replace(/\uE002(\d+)\uE003/g, '<span class="boxref">box $1</span>')
      .replace(/[\uE000-\uE003]/g, '');
  }

  // The first image of the conversation with the boxes drawn over it (positions in % of the shown image).
  function groundingFigure(boxes) {
    const image = conversation.firstImage;
    const fig = el('figure', 'grounding');
    if (!image) {
      fig.append(el('figcaption', 'status', boxes.length + ' box(es), but this conversation has no image to draw them on'));
      return fig;
    }
    const stage = el('div', 'stage');
    stage.append(mediaElement('image', image.url, image.name));
    boxes.forEach((b, k) => {
      const d = el('div', 'box');
      d.style.left = (b.x1 * 100) + '%';
      d.style.top = (b.y1 * 100) + '%';
      d.style.width = (Math.max(b.x2 - b.x1, 0) * 100) + '%';
      d.style.height = (Math.max(b.y2 - b.y1, 0) * 100) + '%';
      d.dataset.label = b.label;
      d.append(el('span', 'label', (k + 1) + (b.label ? ' ' + b.label : '')));
      stage.append(d);
    });
    fig.append(stage);
    return fig;
  }

  // ------------------------------------------------------------------ messages

  function addBubble(className, who) {
    ui.empty.hidden = true;
    const div = el('div', 'msg ' + className);
    div.append(el('div', 'who', who));
    ui.log.append(div);
    scrollDown();
    return div;
  }

  function showUser(text, media) {
    const div = addBubble('user', 'You');
    if (media.length) {
      const strip = el('div', 'media');
      for (const m of media) strip.append(mediaElement(m.kind, m.url, m.name));
      div.append(strip);
    }
    if (text) div.append(el('div', 'text', text));
    return div;
  }

  function showError(text) {
    const div = addBubble('error', 'Error');
    div.append(el('div', 'text', text));
    return div;
  }

  // An assistant bubble whose body can be re-rendered as text streams in.
  function assistantBubble() {
    const div = addBubble('assistant', 'Assistant');
    const body = el('div', 'body');
    const status = el('div', 'status', 'waiting for the server…');
    const meta = el('div', 'meta');
    div.append(body, status, meta);
    let text = '';
    let queued = false;
    const render = () => {
      queued = false;
      body.innerHTML = renderMarkdown(text);
      scrollDown();
    };
    return {
      div, status, meta,
      get text() { return text; },
      append(delta) {
        text += delta;
        status.textContent = '';
        if (!queued) { queued = true; requestAnimationFrame(render); }
      },
      finish(boxes) {
        render();
        status.textContent = '';
        if (boxes && boxes.length) div.insertBefore(groundingFigure(boxes), meta);
      },
    };
  }

  // Boxes of a finished answer: from its text when the tags are in it, else the server's (pixels of the first image).
  function answerBoxes(text, serverBoxes) {
    const boxes = parseBoxes(text);
    if (boxes.length || !serverBoxes || !conversation.firstImage) return boxes;
    const { width, height } = conversation.firstImage;
    if (!width || !height) return [];
    return serverBoxes.map((b) => ({ label: b.label || '', x1: b.x1 / width, y1: b.y1 / height, x2: b.x2 / width, y2: b.y2 / height }));
  }

  // ------------------------------------------------------------------ settings

  function readSettings() {
    const s = conversation.settings;
    s.system = ui.system.value;
    s.maxPixels = ui.maxPixels.value.trim();
    s.temperature = ui.temperature.value.trim();
    s.maxTokens = ui.maxTokens.value.trim();
  }

  function showSettings() {
    const s = conversation.settings;
    ui.system.value = s.system;
    ui.maxPixels.value = s.maxPixels;
    ui.temperature.value = s.temperature;
    ui.maxTokens.value = s.maxTokens;
  }

  // The settings as request fields, or an error message naming the setting.
  function settingsFields() {
    readSettings();
    const s = conversation.settings;
    const f = {};
    if (s.maxPixels) {
      const v = Number(s.maxPixels);
      const min = limits ? limits.min_pixels : 1;
      const max = limits ? limits.max_image_pixels : Infinity;
      if (!Number.isInteger(v) || v < min || v > max) return { error: 'Max pixels per image must be a whole number in [' + min + ', ' + max + '], not ' + s.maxPixels };
      f.maxPixels = v;
    }
    if (s.temperature) {
      const v = Number(s.temperature);
      if (!(v >= 0 && v <= 2)) return { error: 'Temperature must be in [0, 2], not ' + s.temperature };
      f.temperature = v;
    }
    if (s.maxTokens) {
      const v = Number(s.maxTokens);
      if (!Number.isInteger(v) || v < 1) return { error: 'Max tokens must be a whole number of at least 1, not ' + s.maxTokens };
      f.maxTokens = v;
    }
    return f;
  }

  ui.settingsToggle.addEventListener('click', () => {
    ui.settings.hidden = !ui.settings.hidden;
    ui.settingsToggle.setAttribute('aria-expanded', String(!ui.settings.hidden));
  });
  for (const input of [ui.system, ui.maxPixels, ui.temperature, ui.maxTokens]) input.addEventListener('change', readSettings);

  // ------------------------------------------------------------------ sending and streaming

  function requestBody(fields) {
    const messages = [];
    if (conversation.settings.system.trim()) messages.push({ role: 'system', content: conversation.settings.system });
    for (const m of conversation.messages) {
      if (!Array.isArray(m.content) || !fields.maxPixels) { messages.push(m); continue; }
      messages.push({ role: m.role, content: m.content.map((p) => (p.type === 'text' ? p : { ...p, max_pixels: fields.maxPixels })) });
    }
    const body = { messages, stream: true, stream_options: { include_usage: true } };
    if (modelId) body.model = modelId;
    if (fields.maxTokens) body.max_tokens = fields.maxTokens;
    if (fields.temperature !== undefined) body.temperature = fields.temperature;
    return Object.assign(body, extra);
  }

  function setRunning(r) {
    running = r;
    ui.send.hidden = !!r;
    ui.stop.hidden = !r;
  }

  async function send() {
    if (running) return;
    const text = ui.prompt.value.trim();
    if (!text && !pending.length) return;
    if (pending.some((p) => !p.url)) { notice('Still reading the attached files…'); return; }
    const fields = settingsFields();
    if (fields.error) { notice(fields.error); return; }
    const media = pending.slice();
    const content = media.map((m) => (m.kind === 'image'
      ? { type: 'image_url', image_url: { url: m.url } }
      : { type: 'video_url', video_url: { url: m.url } }));
    if (text) content.push({ type: 'text', text });
    conversation.messages.push({ role: 'user', content: media.length ? content : text });
    const body = JSON.stringify(requestBody(fields));
    if (limits && body.length > limits.max_body_bytes) {
      conversation.messages.pop();
      notice('This conversation with its images is ' + mb(body.length) + ', over the ' + mb(limits.max_body_bytes)
        + ' this server accepts (every turn sends the whole conversation). Start a new chat or attach less.');
      return;
    }
    notice('');
    const firstImage = media.find((m) => m.kind === 'image');
    if (!conversation.firstImage && firstImage) conversation.firstImage = firstImage;
    pending = [];
    renderPending();
    ui.prompt.value = '';
    const userDiv = showUser(text, media);
    await stream(body, userDiv);
  }

  async function stream(body, userDiv) {
    const conv = conversation;          // "New chat" during the answer must not receive it
    const controller = new AbortController();
    setRunning({ controller });
    const answer = assistantBubble();
    const started = performance.now();
    let firstToken = 0;
    let usage = null;
    let finish = null;
    let serverBoxes = null;
    let failed = null;
    try {
      const response = await fetch('v1/chat/completions', { method: 'POST', headers: apiHeaders(), body, signal: controller.signal });
      if (!response.ok) {
        failed = await errorText(response);
        if (response.status === 401) { sessionStorage.removeItem(KEY_STORE); askKey(); }
      } else {
        const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += value.replace(/\r\n/g, '\n');
          let cut;
          while ((cut = buffer.indexOf('\n\n')) >= 0) {
            const event = buffer.slice(0, cut);
            buffer = buffer.slice(cut + 2);
            for (const line of event.split('\n')) {
              if (line.startsWith(':')) {        // the server's progress comments (vision encode, long prefill)
                if (!firstToken) answer.status.textContent = line.slice(1).trim().replace(/^progress /, '') + '…';
                continue;
              }
              if (!line.startsWith('data:')) continue;
              const data = line.slice(5).trim();
              if (data === '[DONE]') continue;
              const chunk = JSON.parse(data);
              if (chunk.error) { failed = 'Error: ' + chunk.error.message; continue; }
              if (chunk.usage) usage = chunk.usage;
              const choice = chunk.choices && chunk.choices[0];
              if (!choice) continue;
              if (choice.delta && choice.delta.content) {
                if (!firstToken) firstToken = performance.now();
                answer.append(choice.delta.content);
              }
              if (choice.delta && choice.delta.boxes) serverBoxes = choice.delta.boxes;
              if (choice.finish_reason) finish = choice.finish_reason;
            }
          }
        }
      }
    } catch (e) {
      if (e.name === 'AbortError') finish = 'stopped';
      else failed = 'The connection failed: ' + e.message;
    }
    const ended = performance.now();
    setRunning(null);
    if (conv !== conversation) return;
    if (failed && !answer.text) {
      answer.div.remove();
      conv.messages.pop();
      userDiv.classList.add('failed');
      showError(failed);
      return;
    }
    conv.messages.push({ role: 'assistant', content: answer.text });
    answer.finish(answerBoxes(answer.text, serverBoxes));
    answer.meta.textContent = metaLine(usage, finish, started, firstToken, ended, answer.text);
    if (failed) showError(failed);
  }

  function metaLine(usage, finish, started, firstToken, ended, text) {
    const parts = [];
    if (usage) {
      const d = usage.prompt_tokens_details || {};
      const details = [];
      if (d.image_tokens) details.push(d.image_tokens + ' image');
      if (d.video_tokens) details.push(d.video_tokens + ' video');
      if (d.cached_tokens) details.push(d.cached_tokens + ' cached');
      parts.push(usage.prompt_tokens + ' prompt tokens' + (details.length ? ' (' + details.join(', ') + ')' : ''));
      parts.push(usage.completion_tokens + ' generated');
    }
    if (firstToken) {
      parts.push('first token ' + ((firstToken - started) / 1000).toFixed(2) + ' s');
      if (usage && usage.completion_tokens > 1 && ended > firstToken) {
        parts.push(((usage.completion_tokens - 1) / ((ended - firstToken) / 1000)).toFixed(1) + ' tok/s');
      }
    }
    parts.push('total ' + ((ended - started) / 1000).toFixed(2) + ' s');
    if (finish === 'stopped') parts.push('stopped');
    else if (finish) parts.push('finish: ' + finish);
    if (!text && finish !== 'stopped') parts.push('(empty answer)');
    return parts.join(' · ');
  }

  ui.composer.addEventListener('submit', (e) => { e.preventDefault(); send(); });
  ui.prompt.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) { e.preventDefault(); send(); }
  });
  ui.stop.addEventListener('click', () => { if (running) running.controller.abort(); });
  ui.newChat.addEventListener('click', () => {
    if (running) running.controller.abort();
    conversation = newConversation();
    pending = [];
    renderPending();
    showSettings();
    notice('');
    ui.log.replaceChildren(ui.empty);
    ui.empty.hidden = false;
  });

  // ------------------------------------------------------------------ test hook

  // For tests and demos: render an assistant answer without asking the model, and set request fields the page
  // has no control for (e.g. {ignore_eos: true}).
  window.qwenChat = {
    renderAssistant(text) {
      const answer = assistantBubble();
      answer.append(text);
      conversation.messages.push({ role: 'assistant', content: text });
      answer.finish(answerBoxes(text, null));
      answer.meta.textContent = '(rendered by the page, not generated)';
      return answer.div;
    },
    setExtra(fields) { extra = Object.assign({}, fields); },
    limits: () => limits,
  };

  showSettings();
  loadLimits().then(() => document.body.setAttribute('data-ready', 'true'));
})();
