// The review page: the server holds the queue and writes every decision; the page keeps only the
// text on screen and the edits made to it since it was shown (its own undo stack).
"use strict";
const TOKEN = new URLSearchParams(location.search).get("token") || "";
const $ = (id) => document.getElementById(id);
const state = { task: null, ents: [], sel: -1, range: null, drag: null, history: [], busy: false };

async function call(path, body) {
  const init = body === undefined ? {} : { method: "POST", body: JSON.stringify(body),
    headers: { "Content-Type": "application/json" } };
  init.headers = Object.assign(init.headers || {}, { "X-Review-Token": TOKEN });
  const res = await fetch(path, init);
  const data = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(data.error || res.statusText);
  return data;
}

function show(task) {
  state.task = task;
  state.ents = (task.entities || []).map((e) => Object.assign({}, e)).sort((a, b) => a.start - b.start);
  state.sel = state.ents.length ? 0 : -1;
  state.range = null;
  state.history = [];
  render();
}

function color(label) { return (CONFIG.colors || {})[label] || "#ddd"; }

function esc(s) {
  return s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
}

// The characters [a, b) as word pieces (clickable) and the spaces between them.
function pieces(a, b) {
  const text = state.task.text;
  let out = "", pos = a;
  state.task.tokens.forEach((t, i) => {
    const s = Math.max(t.start, a), e = Math.min(t.end, b);
    if (s >= e) return;
    if (s > pos) out += esc(text.slice(pos, s));
    const picked = state.range && i >= state.range[0] && i <= state.range[1] ? " picked" : "";
    out += `<span class="tok${picked}" data-t="${i}">${esc(text.slice(s, e))}</span>`;
    pos = e;
  });
  return out + esc(text.slice(pos, b));
}

function markup(e, k) {
  const cls = ["entity"];
  if (k === state.sel) cls.push("selected");
  if (e.agree === false && !e.proposed) cls.push("doubt");
  if (e.proposed) cls.push("proposed");
  const conf = e.confidence !== undefined ? `<span class="conf">${e.confidence.toFixed(2)}</span>` : "";
  const tag = e.proposed ? `${esc(e.label)}?` : esc(e.label);
  return `<mark class="${cls.join(" ")}" data-e="${k}" style="background: ${color(e.label)}">` +
    `${pieces(e.start, e.end)}<span class="label">${tag}</span>${conf}</mark>`;
}

function render() {
  const task = state.task;
  renderProgress(task.progress);
  if (task.done) {
    $("priority").textContent = "";
    $("text").innerHTML = `<p class="done">All texts of this session are reviewed. Every decision is in the output file; you can close this tab.</p>`;
    return;
  }
  $("priority").textContent = `Why this text: ${task.priority}`;
  let html = "", pos = 0;
  state.ents.forEach((e, k) => { html += pieces(pos, e.start) + markup(e, k); pos = e.end; });
  $("text").innerHTML = html + pieces(pos, task.text.length);
  $("legend").innerHTML = task.labels.slice(0, 9).map((l, i) =>
    `<button data-label="${esc(l)}" style="background: ${color(l)}"><kbd>${i + 1}</kbd>${esc(l)}</button>`).join("");
}

function renderProgress(p) {
  const per = p.seconds_per_text === null ? "–" : `${p.seconds_per_text} s`;
  const earlier = p.earlier ? ` · ${p.earlier} reviewed earlier` : "";
  const skipped = p.skipped ? ` · ${p.skipped} skipped` : "";
  $("progress").textContent = `${p.reviewed} / ${p.asked} reviewed · ${per} per text${skipped}${earlier}`;
  $("bar-fill").style.width = p.asked ? `${(100 * (p.reviewed + p.skipped)) / p.asked}%` : "100%";
}

function status(text, ok) { $("status").textContent = text || ""; $("status").className = ok ? "status ok" : "status"; }

function edit(fn) {
  state.history.push(JSON.stringify({ ents: state.ents, sel: state.sel }));
  fn();
  state.ents.sort((a, b) => a.start - b.start);
  state.range = null;
  render();
}

function removeSelected() {
  if (state.sel < 0) return status("select an entity first (click it, or ← →)");
  edit(() => { state.ents.splice(state.sel, 1); state.sel = Math.min(state.sel, state.ents.length - 1); });
}

function applyType(label) {
  if (state.range) {
    const toks = state.task.tokens, start = toks[state.range[0]].start, end = toks[state.range[1]].end;
    edit(() => {
      state.ents = state.ents.filter((e) => e.end <= start || e.start >= end);
      state.ents.push({ start, end, label });
    });
    state.sel = state.ents.findIndex((e) => e.start === start && e.end === end);
    return render();
  }
  if (state.sel < 0) return status("select an entity, or drag over words, before choosing a type");
  if (state.ents[state.sel].label === label) return;
  edit(() => {
    const e = state.ents[state.sel];
    state.ents[state.sel] = { start: e.start, end: e.end, label };
  });
}

async function send(path, body) {
  if (state.busy) return;
  state.busy = true;
  try { show(await call(path, body)); status(""); } catch (err) { status(err.message); } finally { state.busy = false; }
}

function accept() {
  const ents = state.ents.map((e) => ({ start: e.start, end: e.end, label: e.label }));
  return send("/api/answer", { id: state.task.id, entities: ents });
}

function undo() {
  if (state.history.length) {
    const prev = JSON.parse(state.history.pop());
    state.ents = prev.ents; state.sel = prev.sel; state.range = null;
    return render();
  }
  if (state.task.can_undo || state.task.done) return send("/api/undo", {});
  status("nothing to undo");
}

function moveSelection(step) {
  if (!state.ents.length) return;
  state.sel = (state.sel + step + state.ents.length) % state.ents.length;
  render();
}

document.addEventListener("keydown", (ev) => {
  if (!state.task || state.busy) return;
  const key = ev.key;
  if ((ev.ctrlKey || ev.metaKey) && key.toLowerCase() === "z") { ev.preventDefault(); return undo(); }
  if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
  if (key === "u") return undo();
  if (state.task.done) return;
  if (key === "Enter" || key === "a") { ev.preventDefault(); return accept(); }
  if (key === "x" || key === "Backspace" || key === "Delete") { ev.preventDefault(); return removeSelected(); }
  if (key === "s") return send("/api/skip", { id: state.task.id });
  if (key === "Escape") { state.range = null; return render(); }
  if (key === "ArrowRight" || key === "Tab") { ev.preventDefault(); return moveSelection(ev.shiftKey ? -1 : 1); }
  if (key === "ArrowLeft") return moveSelection(-1);
  if (/^[1-9]$/.test(key)) {
    const label = state.task.labels[Number(key) - 1];
    if (label) applyType(label);
  }
});

// Words: press on one, release on another (or the same): that range is picked for a type key. A click
// without a drag on a word inside an entity selects the entity instead.
$("text").addEventListener("mousedown", (ev) => {
  const tok = ev.target.closest(".tok");
  if (!tok) return;
  ev.preventDefault();
  state.drag = Number(tok.dataset.t);
});
$("text").addEventListener("mouseup", (ev) => {
  if (state.drag === null) return;
  const tok = ev.target.closest(".tok"), mark = ev.target.closest("mark.entity");
  const end = tok ? Number(tok.dataset.t) : state.drag;
  const start = state.drag;
  state.drag = null;
  if (start === end && mark && !ev.shiftKey) {
    state.sel = Number(mark.dataset.e); state.range = null;
  } else {
    state.range = [Math.min(start, end), Math.max(start, end)];
  }
  render();
});
$("text").addEventListener("click", (ev) => {
  const mark = ev.target.closest("mark.entity");
  if (mark && !ev.target.closest(".tok")) { state.sel = Number(mark.dataset.e); state.range = null; render(); }
});
$("legend").addEventListener("click", (ev) => {
  const b = ev.target.closest("button");
  if (b) applyType(b.dataset.label);
});
$("accept").addEventListener("click", () => state.task && !state.task.done && accept());
$("remove").addEventListener("click", () => removeSelected());
$("undo").addEventListener("click", () => state.task && undo());
$("skip").addEventListener("click", () => state.task && !state.task.done && send("/api/skip", { id: state.task.id }));

call("/api/task").then(show).catch((err) => status(err.message));
